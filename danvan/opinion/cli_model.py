"""`danvan model ...`: train, evaluate and use text classifiers (danvan.nlp.engine).

Model directories are plain JSON and .npy files: loading one executes nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from danvan.kernel import cli_lang
from danvan.kernel.errors import CoreError

model_app = typer.Typer(no_args_is_help=True, help="Text classifiers (Vietnamese NLP engine)")

InputOption = Annotated[Path, typer.Option("--input", help="UTF-8 CSV file with a header row")]
TextColumn = Annotated[str, typer.Option("--text-column", help="Column holding the text")]
LabelColumn = Annotated[str, typer.Option("--label-column", help="Column holding the label")]


def _fail(message: str | CoreError) -> NoReturn:
    """One line on stderr in the CLI's language (a core error's sentence too), then exit."""
    text = cli_lang.error_text(message) if isinstance(message, CoreError) else message
    typer.echo(cli_lang.error_line(text), err=True)
    raise typer.Exit(2)


def _log(message: str) -> None:
    typer.echo(message, err=True)


@model_app.command("train")
def train(
    input_csv: InputOption,
    label_column: LabelColumn,
    out: Annotated[Path, typer.Option("--out", help="Model directory to write")],
    text_column: TextColumn = "text",
    folds: Annotated[int, typer.Option(help="Cross-validation folds for self-tuning")] = 10,
    optimize: Annotated[
        str,
        typer.Option(
            help="What the class thresholds maximise on cross-validation: macro_f1, "
            "weighted_f1, or f1:LABEL (the F1 of one label, e.g. f1:toxic)"
        ),
    ] = "macro_f1",
) -> None:
    """Train a classifier on a labelled CSV and save it to a model directory."""
    from danvan.nlp.engine import read_csv
    from danvan.nlp.engine import train as train_model
    from danvan.nlp.params import EngineError, Params

    if folds < 2:
        _fail("--folds must be at least 2")
    if out.exists() and not out.is_dir():
        _fail(f"{out}: exists and is not a directory")
    try:
        data = read_csv(input_csv, text_column=text_column, label_column=label_column)
        model = train_model(
            data.texts,
            data.labels,
            params=Params(folds=folds, optimize=optimize),
            data_sha256=data.sha256,
            log=_log,
        )
        model.save(out)
    except EngineError as exc:
        _fail(str(exc))
    valid = model.metadata.get("validation", {})
    summary = {
        "model": str(out),
        "labels": model.labels,
        "rows": len(data.texts),
        "optimize": optimize,
        "validation": {k: valid.get(k) for k in ("n", "accuracy", "macro_f1", "weighted_f1")},
    }
    typer.echo(json.dumps(summary, ensure_ascii=False))


@model_app.command("eval")
def evaluate(
    model_dir: Annotated[Path, typer.Option("--model", help="Model directory")],
    input_csv: InputOption,
    label_column: LabelColumn,
    text_column: TextColumn = "text",
) -> None:
    """Evaluate a model on a labelled CSV. The last line printed is one JSON object: n, accuracy,
    macro_f1, weighted_f1, per_class and docs_per_second (one core)."""
    from danvan.nlp.engine import evaluate as evaluate_model
    from danvan.nlp.engine import read_csv
    from danvan.nlp.model import load_model
    from danvan.nlp.params import EngineError

    try:
        model = load_model(model_dir)
        data = read_csv(input_csv, text_column=text_column, label_column=label_column)
        result = evaluate_model(model, data.texts, data.labels)
    except EngineError as exc:
        _fail(str(exc))
    unknown = sorted(set(data.labels) - set(model.labels))
    if unknown:
        _log(f"warning: labels the model never saw count as errors: {', '.join(unknown)}")
    typer.echo(json.dumps(result, ensure_ascii=False))


@model_app.command("predict")
def predict(
    model_dir: Annotated[Path, typer.Option("--model", help="Model directory")],
) -> None:
    """Classify texts read from standard input, one per line; prints one JSON object per line
    (label and probabilities)."""
    from danvan.kernel.text import clean
    from danvan.nlp.model import load_model
    from danvan.nlp.params import EngineError

    try:
        model = load_model(model_dir)
    except EngineError as exc:
        _fail(str(exc))
    lines = [clean(line) for line in sys.stdin]
    texts = [line for line in lines if line]
    if not texts:
        return
    probabilities = model.predict_proba(texts)
    for text, row in zip(texts, probabilities, strict=True):
        best = int(row.argmax())
        typer.echo(
            json.dumps(
                {
                    "text": text,
                    "label": model.labels[best],
                    "probabilities": {
                        label: round(float(p), 4)
                        for label, p in zip(model.labels, row, strict=True)
                    },
                },
                ensure_ascii=False,
            )
        )


# --- The product's opinion classifiers (danvan.opinion.labels) ---------------------------------


@model_app.command("retrain")
def retrain(
    force: Annotated[
        bool, typer.Option("--force", help="Activate the new set even if it is not better")
    ] = False,
) -> None:
    """Retrain the opinion classifiers on the seed corpus plus the labels staff gave. The new set
    is activated only if it is not worse on the staff labels held out of training; the set in
    use is kept for `danvan model rollback`."""
    from danvan.kernel.db import get_database
    from danvan.kernel.settings import get_settings
    from danvan.nlp.classifiers import ClassifierError
    from danvan.opinion.retrain import retrain as do_retrain

    try:
        result = do_retrain(get_database(), get_settings(), force=force, log=_log)
    except ClassifierError as exc:
        _fail(str(exc))
    scores = ""
    if result.score_new is not None:
        scores = f" (mean macro-F1 {result.score_new} vs {result.score_current})"
    if result.activated:
        typer.echo(
            f"Activated {result.version}: {result.reason}{scores}; previous set "
            f"{result.current_version} kept for rollback. Run `danvan analyze --since DATE` to "
            "re-label older messages."
        )
    elif result.version:
        typer.echo(f"Not activated {result.version}: {result.reason}{scores}.")
    else:
        typer.echo(f"Not retrained: {result.reason}.")
    typer.echo(
        json.dumps(
            {
                "version": result.version,
                "activated": result.activated,
                "seed_rows": result.seed_rows,
                "staff_rows": result.staff_rows,
                "heldout_rows": result.heldout_rows,
                "score_new": result.score_new,
                "score_current": result.score_current,
                "per_task": result.metrics,
            },
            ensure_ascii=False,
        )
    )


@model_app.command("rollback")
def rollback() -> None:
    """Return to the opinion classifier set that was in use before the last retrain."""
    from danvan.kernel.db import get_database
    from danvan.kernel.settings import get_settings
    from danvan.opinion.retrain import rollback as do_rollback

    try:
        old, new = do_rollback(get_database(), get_settings())
    except CoreError as exc:
        _fail(exc)
    typer.echo(f"Deactivated {old}; now using {new}.")


@model_app.command("import")
def import_sets(
    folder: Annotated[
        str | None,
        typer.Option("--from", help="Folder to read (default: DANVAN_ANALYSIS_MODELS_DIR)"),
    ] = None,
) -> None:
    """Copy the opinion classifier sets of a legacy models folder (DANVAN_ANALYSIS_MODELS_DIR)
    into the database, where every worker on every machine finds them; the folder is read, not
    changed. Run it again at will: sets already stored are skipped."""
    from danvan.kernel.db import get_database
    from danvan.kernel.settings import get_settings
    from danvan.opinion.model_store import import_folder

    settings = get_settings()
    source = folder or settings.analysis_models_dir
    imported, present, failed = import_folder(get_database(), settings, source, log=_log)
    typer.echo(
        f"Imported {imported} model set(s) from {source}; {present} already stored"
        + (f"; {failed} unusable (not imported)." if failed else ".")
    )
    if failed:
        raise typer.Exit(1)
