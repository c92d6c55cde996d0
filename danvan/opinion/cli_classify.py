"""`danvan classify`: label a CSV file's texts with the deployment's active opinion classifiers
(the same set the worker uses: `labels.set_in_use`), without touching the database's messages.

The output holds the input's columns plus `topic`, `sentiment`, `kind`, `urgent` (yes/no) and
`abusive` (yes/no). Rows are read, labelled and written in batches, so a large file is never held
in memory; the output is written to a temporary file beside OUT and renamed when complete, so a
failed run leaves no half-written file. A progress bar is drawn only on a terminal. Errors are
one line on stderr with exit code 2, in the CLI's language (`danvan.kernel.cli_lang`:
DANVAN_CLI_LANG, else the locale).
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, NoReturn

import typer

from danvan.kernel import cli_lang

if TYPE_CHECKING:
    from danvan.nlp.classifiers import Labels

LABEL_COLUMNS = ("topic", "sentiment", "kind", "urgent", "abusive")
BATCH = 500

MESSAGES = {
    "missing_file": ("không tìm thấy tệp {path}", "file not found: {path}"),
    "not_a_file": ("{path} không phải là một tệp", "{path} is not a file"),
    "missing_column": (
        "tệp {path} không có cột “{column}”; các cột có: {columns}",
        "{path} has no column '{column}'; its columns are: {columns}",
    ),
    "encoding": (
        "tệp {path} không phải UTF-8; hãy lưu lại tệp dưới dạng CSV UTF-8 "
        "(Excel: Lưu thành → CSV UTF-8) rồi chạy lại",
        "{path} is not UTF-8; re-save it as CSV UTF-8 (Excel: Save As → CSV UTF-8) and run again",
    ),
    "empty": (
        "tệp {path} trống: cần một dòng tiêu đề và ít nhất một dòng dữ liệu",
        "{path} is empty: it needs a header row and at least one data row",
    ),
    "out_dir": ("không có thư mục {path} để ghi kết quả", "no directory {path} to write to"),
    "model": ("không dùng được mô hình: {error}", "the model set cannot be used: {error}"),
    "done": (
        "Đã gán nhãn {n} dòng vào {path} (mô hình {version}).",
        "Labelled {n} row(s) into {path} (model set {version}).",
    ),
}


vietnamese = cli_lang.vietnamese  # the CLI's one language setting


def say(key: str, **values: object) -> str:
    vi, en = MESSAGES[key]
    return (vi if vietnamese() else en).format(**values)


class ClassifyError(Exception):
    """A one-line reason the file cannot be labelled (already in the CLI's language)."""


def _fail(message: str) -> NoReturn:
    typer.echo(("lỗi: " if vietnamese() else "error: ") + message, err=True)
    raise typer.Exit(2)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _batches(reader: csv.DictReader[str]) -> Iterator[list[dict[str, str]]]:
    batch: list[dict[str, str]] = []
    for row in reader:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def open_input(
    path: Path, text_column: str
) -> tuple[BinaryIO, io.TextIOWrapper, csv.DictReader[str]]:
    """The input opened for streaming (UTF-8, with or without BOM), its header checked: the
    binary file (how far it was read), its text and the reader."""
    if not path.exists():
        raise ClassifyError(say("missing_file", path=path))
    if not path.is_file():
        raise ClassifyError(say("not_a_file", path=path))
    raw = path.open("rb")
    handle = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(handle)
    try:
        header = reader.fieldnames
    except UnicodeDecodeError:
        handle.close()
        raise ClassifyError(say("encoding", path=path)) from None
    if not header:
        handle.close()
        raise ClassifyError(say("empty", path=path))
    if text_column not in header:
        handle.close()
        columns = ", ".join(header)
        raise ClassifyError(say("missing_column", path=path, column=text_column, columns=columns))
    return raw, handle, reader


def classify_file(
    source: Path,
    out: Path,
    *,
    text_column: str,
    classify: Callable[[list[str]], Sequence[Labels]],
    progress: Callable[[int], object] | None = None,
) -> int:
    """Label `source` into `out` batch by batch; returns the rows written. `classify` takes a
    list of texts and returns `Labels`; `progress(bytes_read)` is told how far the input is."""
    if not out.parent.is_dir():
        raise ClassifyError(say("out_dir", path=out.parent))
    raw, handle, reader = open_input(source, text_column)
    header = list(reader.fieldnames or [])
    columns = header + [c for c in LABEL_COLUMNS if c not in header]
    staging = Path(tempfile.mkstemp(prefix=f".{out.name}-", dir=out.parent)[1])
    written = 0
    try:
        with handle, staging.open("w", encoding="utf-8", newline="") as target:
            writer = csv.DictWriter(target, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            try:
                for batch in _batches(reader):
                    texts = [(row.get(text_column) or "").strip() for row in batch]
                    wanted = [t for t in texts if t]
                    labels = iter(classify(wanted) if wanted else [])
                    for row, text in zip(batch, texts, strict=True):
                        if text:
                            found = next(labels)
                            row.update(
                                topic=found.topic,
                                sentiment=found.sentiment,
                                kind=found.kind,
                                urgent=_yes(found.urgent),
                                abusive=_yes(found.abusive),
                            )
                        else:  # nothing to label: the label columns stay empty
                            row.update(dict.fromkeys(LABEL_COLUMNS, ""))
                        writer.writerow(row)
                    written += len(batch)
                    if progress is not None:
                        progress(raw.tell())
            except UnicodeDecodeError:
                raise ClassifyError(say("encoding", path=source)) from None
        if written == 0:
            raise ClassifyError(say("empty", path=source))
        staging.replace(out)
    finally:
        staging.unlink(missing_ok=True)
    return written


def classify(
    input_csv: Annotated[
        Path, typer.Option("--input", help="UTF-8 CSV file with a header row (BOM accepted)")
    ],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write")],
    text_column: Annotated[str, typer.Option("--text-column", help="Column holding the text")] = (
        "text"
    ),
) -> None:
    """Label a CSV file's texts (topic, sentiment, kind, urgent, abusive) with the deployment's
    active opinion classifiers; writes the input's columns plus the five labels."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from danvan.kernel.db import get_database, has_schema
    from danvan.kernel.settings import get_settings
    from danvan.nlp.classifiers import ClassifierError
    from danvan.opinion.model_use import set_in_use, set_without_schema

    try:
        open_input(input_csv, text_column)[1].close()  # fail fast, before loading a model
    except ClassifyError as exc:
        _fail(str(exc))
    try:
        database, settings = get_database(), get_settings()
        log = lambda m: typer.echo(m, err=True)  # noqa: E731
        # A new checkout whose database has no tables yet has no deployment set: the default.
        if has_schema(database):
            model_set = set_in_use(database, settings, log=log)
        else:
            model_set = set_without_schema(settings, log=log)
    except ClassifierError as exc:
        _fail(say("model", error=exc))
    terminal = sys.stderr.isatty()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        disable=not terminal,
        transient=True,
    ) as bar:
        task = bar.add_task(input_csv.name, total=input_csv.stat().st_size)
        try:
            done = classify_file(
                input_csv,
                out,
                text_column=text_column,
                classify=model_set.classify,
                progress=lambda at: bar.update(task, completed=at),
            )
        except ClassifyError as exc:
            bar.stop()
            _fail(str(exc))
    typer.echo(say("done", n=done, path=out, version=model_set.version))
