"""The house writes spreadsheet cells through one helper (`danvan.kernel.documents.append_row` /
`set_cell`), so that no text becomes a live formula: no module in danvan/ appends rows to a
worksheet, writes its cells or sets a cell's value directly. A syntax check, so the rule holds
for writers no test renders: a worksheet is a name bound from `.active`, `.create_sheet(...)` or
`.worksheets`, or one called `ws`, `sheet` or `worksheet`."""

from __future__ import annotations

import ast
from pathlib import Path

import danvan

PACKAGE = Path(danvan.__file__).parent
HELPER = "kernel/documents.py"
SHEET_NAMES = {"ws", "sheet", "worksheet"}


def _sheet_names(tree: ast.AST) -> set[str]:
    names = set(SHEET_NAMES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            makes_sheet = any(
                (isinstance(n, ast.Attribute) and n.attr in ("active", "worksheets"))
                or (
                    isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute)
                    and n.func.attr == "create_sheet"
                )
                for n in ast.walk(node.value)
            )
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if makes_sheet:
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def direct_writes(source: str) -> list[str]:
    """Where `source` writes worksheet cells without the helper ("line: what"); a cell's
    `.value` set directly counts in modules that use openpyxl."""
    tree = ast.parse(source)
    cells = "openpyxl" in source
    sheets = _sheet_names(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "cell")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in sheets
        ):
            found.append((node.lineno, f"{node.func.value.id}.{node.func.attr}(…)"))
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id in sheets
                ):
                    found.append((node.lineno, f"{target.value.id}[…] = …"))
                if cells and isinstance(target, ast.Attribute) and target.attr == "value":
                    found.append((node.lineno, "….value = …"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_the_check_finds_direct_writes_and_passes_the_helper() -> None:
    bad = (
        "book = Workbook()\nfirst = book.active\nfirst.append([text])\n"
        "other = book.create_sheet('x')\nother.cell(row=1, column=1, value=text)\n"
        "ws['A1'] = text\ncell.value = text\n# openpyxl\n"
    )
    assert [w.split(":")[0] for w in direct_writes(bad)] == ["3", "5", "6", "7"]
    good = "sheet = book.active\nappend_row(sheet, [text])\nrows.append(text)\nx = ws['A1']\n"
    assert direct_writes(good) == []


def test_no_module_writes_spreadsheet_cells_without_the_helper() -> None:
    offenders = {
        path.relative_to(PACKAGE).as_posix(): writes
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).as_posix() != HELPER
        and (writes := direct_writes(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
