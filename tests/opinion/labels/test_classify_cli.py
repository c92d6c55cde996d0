"""`danvan classify --input IN.csv --text-column text --out OUT.csv`: the input's columns plus
the five labels from the deployment's active model set, in batches; every bad input is one clear
line and exit code 2, in the CLI's language, and leaves no output file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from danvan.cli import app as cli_app
from danvan.kernel.db import Database, has_schema, set_database
from danvan.nlp.classifiers import ModelSet
from danvan.opinion import cli_classify

URGENT = "Nước lũ đang dâng cao, nhà tôi có người già không ra được, cần cứu gấp"
ABUSIVE = "Bọn cán bộ ăn hại, đồ chó"


def _run(*args: str, lang: str = "en_US.UTF-8") -> object:
    env = {"DANVAN_CLI_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": lang}
    return CliRunner().invoke(cli_app, ["classify", *args], env=env)


def _write(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_it_writes_the_input_columns_plus_the_five_labels_in_batches(
    database: Database, default_set: ModelSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_classify, "BATCH", 2)  # three batches for five rows
    rows = [
        ["id", "noi_dung", "ghi_chu"],
        ["1", URGENT, "a"],
        ["2", "Xin hỏi thủ tục cấp sổ đỏ", "b"],
        ["3", "", "c"],
        ["4", ABUSIVE, "d"],
        ["5", "Cảm ơn xã đã sửa đường nhanh", "e"],
    ]
    # Excel's "CSV UTF-8" starts with a BOM: accepted.
    source = _write(tmp_path / "in.csv", rows, encoding="utf-8-sig")
    out = tmp_path / "out.csv"
    result = _run("--input", str(source), "--text-column", "noi_dung", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"Labelled 5 row(s) into {out} (model set {default_set.version})" in result.stdout
    assert result.stderr == ""  # not a terminal: no progress bar
    with out.open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert list(written[0]) == [
        "id",
        "noi_dung",
        "ghi_chu",
        "topic",
        "sentiment",
        "kind",
        "urgent",
        "abusive",
    ]
    assert [r["id"] for r in written] == ["1", "2", "3", "4", "5"]
    assert [r["ghi_chu"] for r in written] == ["a", "b", "c", "d", "e"]
    expected = default_set.classify([URGENT, ABUSIVE])
    assert written[0]["topic"] == expected[0].topic
    assert written[0]["urgent"] == "yes"
    assert written[3]["abusive"] == "yes"
    assert written[1]["urgent"] == "no"
    assert {r["urgent"] for r in written if r["noi_dung"]} <= {"yes", "no"}
    assert written[2]["topic"] == ""  # an empty text gets no labels
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.csv")]


def _error(result: object) -> str:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    return lines[0]


def test_a_missing_file(tmp_path: Path) -> None:
    line = _error(_run("--input", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")))
    assert line == f"error: file not found: {tmp_path / 'nope.csv'}"
    line = _error(_run("--input", str(tmp_path / "nope.csv"), "--out", "o.csv", lang="vi_VN.UTF-8"))
    assert line == f"lỗi: không tìm thấy tệp {tmp_path / 'nope.csv'}"


def test_a_missing_column_lists_the_available_ones(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.csv", [["id", "content"], ["1", "xin chào"]])
    line = _error(_run("--input", str(source), "--out", str(tmp_path / "o.csv")))
    assert line == f"error: {source} has no column 'text'; its columns are: id, content"
    line = _error(_run("--input", str(source), "--out", "o.csv", lang="vi_VN.UTF-8"))
    assert "không có cột “text”; các cột có: id, content" in line
    assert not (tmp_path / "o.csv").exists()


def test_a_file_that_is_not_utf8_says_so_and_how_to_fix_it(
    database: Database, default_set: ModelSet, tmp_path: Path
) -> None:
    header = tmp_path / "legacy.csv"  # saved by an old Windows program (cp1258)
    header.write_bytes("text\nĐường hỏng\n".encode().replace("ờ".encode(), b"\xf4"))
    line = _error(_run("--input", str(header), "--out", str(tmp_path / "o.csv")))
    assert "is not UTF-8" in line
    assert "CSV UTF-8" in line
    # A bad byte far down the file (read in batches) fails the same way and writes nothing.
    late = tmp_path / "late.csv"
    late.write_bytes(b"text\n" + "Đường hỏng\n".encode() * 5000 + b"Duong h\xf4ng\n")
    line = _error(_run("--input", str(late), "--out", str(tmp_path / "o.csv")))
    assert "is not UTF-8" in line
    line = _error(_run("--input", str(late), "--out", str(tmp_path / "o.csv"), lang="vi_VN"))
    assert "không phải UTF-8" in line
    assert not (tmp_path / "o.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o.csv")]  # no staging left


@pytest.mark.parametrize("content", ["", "text\n"])
def test_an_empty_file(
    database: Database, default_set: ModelSet, tmp_path: Path, content: str
) -> None:
    source = tmp_path / "empty.csv"
    source.write_text(content, encoding="utf-8")
    line = _error(_run("--input", str(source), "--out", str(tmp_path / "o.csv")))
    assert line == f"error: {source} is empty: it needs a header row and at least one data row"
    assert not (tmp_path / "o.csv").exists()


def test_a_new_checkout_without_tables_labels_with_the_default_set_and_writes_no_table(
    default_set: ModelSet, tmp_path: Path
) -> None:
    # `danvan classify` before `danvan db upgrade`: there is no deployment, so the default set
    # (from the models folder) labels the file, and the database stays as it was.
    empty = Database(f"sqlite:///{tmp_path / 'new.db'}")
    set_database(empty)
    try:
        source = _write(tmp_path / "in.csv", [["text"], [URGENT]])
        out = tmp_path / "out.csv"
        result = _run("--input", str(source), "--out", str(out))
        assert result.exit_code == 0, result.output
        assert f"(model set {default_set.version})" in result.stdout
        with out.open(encoding="utf-8", newline="") as handle:
            assert next(csv.DictReader(handle))["urgent"] == "yes"
        assert not has_schema(empty)
        assert inspect(empty.engine).get_table_names() == []
    finally:
        set_database(None)
        empty.dispose()
