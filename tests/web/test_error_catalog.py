"""Every error sentence the code can raise has its English twin in errors.en.json.

The core raises Vietnamese templates (`Invalid("{what} dài quá {limit} ký tự", what=..., ...)`)
and the staff UI shows them in the user's language through the catalog. This reads the source
(every call of a CoreError class) so that a new sentence cannot ship untranslated, and an
f-string (which the catalog could never match) cannot ship at all.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
from pathlib import Path

import danvan
from danvan.kernel.errors import CoreError

SOURCE = Path(danvan.__file__).parent
CATALOG = SOURCE / "web" / "locales" / "errors.en.json"
# Public web-form refusals are codes (`FormInvalid({"photo": "photo_dimensions"})`, "too_fast")
# translated by the public pages' own catalog.
CODE = re.compile(r"^[a-z_]+$")
FIELD = re.compile(r"{(\w+)}")


def _error_classes() -> set[str]:
    for module in pkgutil.walk_packages(danvan.__path__, "danvan."):
        if not module.name.endswith("__main__") and ".migrations." not in module.name:
            importlib.import_module(module.name)
    found: set[str] = set()
    todo: list[type] = [CoreError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def _raised() -> tuple[dict[str, str], list[str], set[str]]:
    """(literal templates -> where, f-string templates' places, `what=` field names)."""
    classes = _error_classes()
    literals: dict[str, str] = {}
    fstrings: list[str] = []
    fields: set[str] = set()
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "what" and isinstance(value, ast.Constant):
                    fields.add(str(value.value))
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in classes or not node.args:
                continue
            first = node.args[0]
            where = f"{path.relative_to(SOURCE.parent)}:{node.lineno}"
            if isinstance(first, ast.JoinedStr):
                fstrings.append(where)
            elif (
                isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and not CODE.match(first.value)
            ):
                literals.setdefault(first.value, where)
    return literals, fstrings, fields


def test_error_sentences_are_templates_with_english_twins() -> None:
    catalog: dict[str, str] = json.loads(CATALOG.read_text("utf-8"))
    literals, fstrings, fields = _raised()
    assert len(literals) > 100  # the scan sees the code (a broken scan would pass vacuously)
    assert fstrings == [], "use a template with named fields, not an f-string"
    missing = {text: where for text, where in literals.items() if text not in catalog}
    assert missing == {}, "add these to web/locales/errors.en.json"
    for text in literals:
        assert set(FIELD.findall(catalog[text])) == set(FIELD.findall(text)), text
    untranslated_fields = sorted(fields - set(catalog))
    assert untranslated_fields == [], "field names shown in errors need their English too"
