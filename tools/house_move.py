# ruff: noqa: E501, S603, S607 (a one-off script, kept as the record of the move)
"""One-off script that moved danvan from a layout by technical kind to one package per capability
(issue 11). Kept for the record of what went where; running it again on the new tree does nothing
useful. Usage: python tools/house_move.py (from the repository root of the old tree, clean)."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

# Whole modules: old dotted name -> new dotted name.
MODULES = {
    # kernel: knows no capability
    "danvan.settings": "danvan.kernel.settings",
    "danvan.db": "danvan.kernel.db",
    "danvan.clock": "danvan.kernel.clock",
    "danvan.text": "danvan.kernel.text",
    "danvan.areas": "danvan.kernel.geo",
    "danvan.security": "danvan.kernel.security",
    "danvan.taxonomy": "danvan.kernel.taxonomy",
    "danvan.documents": "danvan.kernel.documents",
    "danvan.workdays": "danvan.kernel.workdays",
    "danvan.jobs": "danvan.kernel.jobs",
    "danvan.core.errors": "danvan.kernel.errors",
    "danvan.core.ratelimit": "danvan.kernel.ratelimit",
    # accounts: staff identity
    "danvan.core.actors": "danvan.accounts.actors",
    "danvan.core.staff": "danvan.accounts.staff",
    "danvan.core.audit": "danvan.accounts.audit",
    "danvan.web.routes.account": "danvan.accounts.routes.account",
    # channels
    "danvan.core.tokens": "danvan.channels.tokens",
    # inbox
    "danvan.core.ingest": "danvan.inbox.ingest",
    "danvan.core.inbox": "danvan.inbox.conversations",
    "danvan.core.outbox": "danvan.inbox.outbox",
    "danvan.core.delivery": "danvan.inbox.delivery",
    "danvan.core.privacy": "danvan.inbox.privacy",
    "danvan.core.webform": "danvan.inbox.webform",
    "danvan.worker": "danvan.inbox.worker",
    "danvan.web.routes.webhooks": "danvan.inbox.routes.webhooks",
    "danvan.web.routes.public": "danvan.inbox.routes.public",
    "danvan.web.routes.api": "danvan.inbox.routes.api",
    "danvan.web.routes.staff": "danvan.inbox.routes.pages",
    "danvan.web.schemas": "danvan.inbox.schemas",
    "danvan.cli_contacts": "danvan.inbox.cli",
    # opinion
    "danvan.core.analysis": "danvan.opinion.labels",
    "danvan.core.analysis_jobs": "danvan.opinion.label_jobs",
    "danvan.analytics.jobs": "danvan.opinion.jobs",
    "danvan.analytics.dashboard": "danvan.opinion.dashboard",
    "danvan.analytics.emerging": "danvan.opinion.emerging",
    "danvan.analytics.render": "danvan.opinion.render",
    "danvan.analytics.report": "danvan.opinion.situation",
    "danvan.analytics.rollups": "danvan.opinion.rollups",
    "danvan.analytics.scope": "danvan.opinion.scope",
    "danvan.analytics.spikes": "danvan.opinion.spikes",
    "danvan.analytics.staff_zalo": "danvan.opinion.alerts",
    "danvan.web.routes.analysis": "danvan.opinion.routes.labels",
    "danvan.web.routes.dashboard": "danvan.opinion.routes.dashboard",
    "danvan.cli_analysis": "danvan.opinion.cli_analyze",
    "danvan.cli_report": "danvan.opinion.cli_report",
    "danvan.cli_model": "danvan.opinion.cli_model",
    "danvan.demo.opinion": "danvan.opinion.demo",
    # cases
    "danvan.models.cases": "danvan.cases.models",
    "danvan.core.cases": "danvan.cases.cases",
    "danvan.core.case_rules": "danvan.cases.rules",
    "danvan.core.case_open311": "danvan.cases.open311",
    "danvan.core.case_report": "danvan.cases.xlsx",
    "danvan.core.cases_jobs": "danvan.cases.jobs",
    "danvan.web.routes.cases": "danvan.cases.routes.pages",
    "danvan.web.routes.case_api": "danvan.cases.routes.api",
    "danvan.web.routes.open311": "danvan.cases.routes.open311",
    "danvan.cli_cases": "danvan.cases.cli",
    "danvan.demo.cases": "danvan.cases.demo",
    # outreach
    "danvan.models.outreach": "danvan.outreach.models",
    "danvan.core.outreach": "danvan.outreach.citizens",
    "danvan.core.broadcasts": "danvan.outreach.broadcasts",
    "danvan.core.consultations": "danvan.outreach.consultations",
    "danvan.core.consultation_flow": "danvan.outreach.flow",
    "danvan.core.consultation_analysis": "danvan.outreach.opinions",
    "danvan.core.polls": "danvan.outreach.polls",
    "danvan.core.outreach_jobs": "danvan.outreach.jobs",
    "danvan.web.routes.outreach": "danvan.outreach.routes.pages",
    "danvan.web.routes.outreach_api": "danvan.outreach.routes.api",
    "danvan.demo.outreach": "danvan.outreach.demo",
    # training
    "danvan.models.training": "danvan.training.models",
    "danvan.core.training": "danvan.training.courses",
    "danvan.core.training_quiz": "danvan.training.quizzes",
    "danvan.core.training_report": "danvan.training.reports",
    "danvan.web.routes.training": "danvan.training.routes.api",
    "danvan.web.routes.training_pages": "danvan.training.routes.pages",
    "danvan.demo.training": "danvan.training.demo",
}

# Table modules are composed from whole files and single classes: target -> sources, where a
# source is "module" (the whole file) or "module:Name" (one top-level definition).
MODEL_FILES = {
    "danvan.kernel.models": [
        "danvan.models.base",
        "danvan.models.outbox:Lease",
        "danvan.models.outbox:RateLimitBucket",
    ],
    "danvan.accounts.models": [
        "danvan.models.staff:Role",
        "danvan.models.staff:User",
        "danvan.models.staff:UserCommune",
        "danvan.models.staff:ApiToken",
        "danvan.models.staff:AuditEntry",
    ],
    "danvan.channels.models": ["danvan.models.outbox:PlatformToken"],
    "danvan.inbox.models": [
        "danvan.models.contacts",
        "danvan.models.inbox",
        "danvan.models.outbox:OutboxStatus",
        "danvan.models.outbox:OutboxItem",
        "danvan.models.outbox:OutboxAttempt",
    ],
    "danvan.opinion.models": [
        "danvan.models.analysis",
        "danvan.models.opinion",
        "danvan.models.staff:StaffZaloLink",
        "danvan.models.staff:StaffLinkCode",
    ],
}
DOCSTRINGS = {
    "danvan.accounts.models": '"""Staff accounts, their communes, API tokens and the audit log."""',
    "danvan.channels.models": '"""Platform OAuth tokens (they rotate; see danvan.channels.tokens)."""',
    "danvan.inbox.models": (
        '"""Citizens (one row per channel identity), their conversations, messages, notes and\n'
        "labels, the raw inbound events, and the outbox (retry queue and delivery audit trail).\n"
        '"""'
    ),
    "danvan.opinion.models": (
        '"""What the classifiers concluded about each inbound message, the daily rollups, the job\n'
        "cursors, emerging issues and alerts, and the staff's Zalo links for those alerts.\n"
        '"""'
    ),
}

# Test directories and files.
TEST_MOVES = {
    "tests/analytics": "tests/opinion",
    "tests/analysis": "tests/opinion/labels",
    "tests/api": "tests/inbox/api",
    "tests/worker": "tests/inbox/worker",
    "tests/web": "tests/inbox/pages",
    "tests/core/test_areas.py": "tests/kernel/test_geo.py",
    "tests/core/test_areas_search.py": "tests/kernel/test_geo_search.py",
    "tests/core/test_ratelimit.py": "tests/kernel/test_ratelimit.py",
    "tests/core/test_workdays.py": "tests/kernel/test_workdays.py",
    "tests/test_db.py": "tests/kernel/test_db.py",
    "tests/test_settings.py": "tests/kernel/test_settings.py",
    "tests/test_jobs.py": "tests/kernel/test_jobs.py",
    "tests/test_clock.py": "tests/kernel/test_clock.py",
    "tests/core": "tests/inbox",
}

# Template folders: old (under web/templates) -> the capability's templates folder. The names
# templates are rendered by do not change: every templates folder is on the loader's path.
TEMPLATE_MOVES = {
    "account": "accounts",
    "admin": "accounts",
    "staff/login.html": "accounts",
    "analysis": "opinion",
    "dashboard": "opinion",
    "partials/conversation_analysis.html": "opinion",
    "cases": "cases",
    "partials/conversation_cases.html": "cases",
    "public/case_feedback.html": "cases",
    "public/case_lookup.html": "cases",
    "public/case_status.html": "cases",
    "outreach": "outreach",
    "public/consultation.html": "outreach",
    "public/poll.html": "outreach",
    "training": "training",
    "public/certificate.html": "training",
    "staff/conversation.html": "inbox",
    "staff/inbox.html": "inbox",
    "partials/commune_select.html": "inbox",
    "partials/conversation_updates.html": "inbox",
    "partials/delivery_state.html": "inbox",
    "partials/inbox_list.html": "inbox",
    "partials/messages.html": "inbox",
    "public/form.html": "inbox",
    "public/lookup.html": "inbox",
    "public/thanks.html": "inbox",
    "public/thread.html": "inbox",
}

ROOT = Path.cwd()


def path_of(module: str) -> Path:
    base = ROOT / Path(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def git(*args: str) -> None:
    subprocess.run(["git", *args], check=True)


def definitions(source: str) -> dict[str, tuple[int, int]]:
    """Top-level definitions: name -> (first line, last line), 1-based, comments above kept."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found: dict[str, tuple[int, int]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            while start > 1 and lines[start - 2].startswith("#"):
                start -= 1
            found[node.name] = (start, node.end_lineno or node.lineno)
    return found


def header_and_body(source: str) -> tuple[str, list[str], str]:
    """(docstring, import lines, the rest) of a module."""
    tree = ast.parse(source)
    lines = source.splitlines()
    doc = ""
    imports: list[str] = []
    first_body = len(lines) + 1
    for node in tree.body:
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and not doc
        ):
            doc = "\n".join(lines[node.lineno - 1 : node.end_lineno])
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imports.append("\n".join(lines[node.lineno - 1 : node.end_lineno]))
        else:
            first_body = node.lineno
            while first_body > 1 and lines[first_body - 2].startswith("#"):
                first_body -= 1
            break
    return doc, imports, "\n".join(lines[first_body - 1 :])


def compose_models() -> dict[str, str]:
    """Symbol -> new module, for every name the old danvan.models modules defined."""
    symbols: dict[str, str] = {}
    taken: dict[str, set[str]] = {}
    texts: dict[str, str] = {}
    for target, sources in MODEL_FILES.items():
        imports: list[str] = []
        bodies: list[str] = []
        doc = DOCSTRINGS.get(target, "")
        for source in sources:
            module, _, name = source.partition(":")
            text = path_of(module).read_text(encoding="utf-8")
            d, imps, body = header_and_body(text)
            imports += imps
            defs = definitions(text)
            if name:
                start, end = defs[name]
                bodies.append("\n".join(text.splitlines()[start - 1 : end]))
                symbols[name] = target
                taken.setdefault(module, set()).add(name)
            else:
                doc = doc or d
                bodies.append(body)
                for each in defs:
                    symbols[each] = target
                # module-level assignments (JSONType, NAMING…)
                for node in ast.parse(text).body:
                    if isinstance(node, ast.Assign):
                        for t in node.targets:
                            if isinstance(t, ast.Name):
                                symbols[t.id] = target
                    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                        symbols[node.target.id] = target
                taken.setdefault(module, set()).add("*")
        texts[target] = doc + "\n\n" + "\n".join(dict.fromkeys(imports)) + "\n\n\n"
        texts[target] += "\n\n\n".join(bodies) + "\n"
    # Every definition of an old table module must have found a home.
    for old in {s.partition(":")[0] for v in MODEL_FILES.values() for s in v}:
        names = set(definitions(path_of(old).read_text(encoding="utf-8")))
        left = names - taken.get(old, set())
        if "*" not in taken.get(old, set()) and left:
            raise SystemExit(f"{old}: no home for {sorted(left)}")
    for target, text in texts.items():
        path = path_of(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for old in {s.partition(":")[0] for v in MODEL_FILES.values() for s in v}:
        git("rm", "-q", str(path_of(old).relative_to(ROOT)))
    return symbols


IMPORT_FROM = re.compile(
    r"^(?P<indent>[ \t]*)from (?P<mod>[\w.]+) import (?P<names>\([^)]*\)|[^\n]*)", re.M
)
IMPORT_PLAIN = re.compile(
    r"^(?P<indent>[ \t]*)import (?P<mod>danvan[\w.]*)(?P<alias> as \w+)?$", re.M
)


def split_names(names: str) -> list[tuple[str, str | None]]:
    names = names.strip()
    if names.startswith("("):
        names = names[1:-1]
    else:
        names, _, _comment = names.partition("#")
    out: list[tuple[str, str | None]] = []
    for part in re.sub(r"#[^\n]*", "", names).replace("\n", " ").split(","):
        part = part.strip()
        if not part:
            continue
        name, _, alias = part.partition(" as ")
        out.append((name.strip(), alias.strip() or None))
    return out


def rewrite(text: str, symbols: dict[str, str], self_module: str | None) -> str:
    packages = {m.rsplit(".", 1)[0] for m in MODULES}

    def names_text(items: list[tuple[str, str | None]]) -> str:
        return ", ".join(n + (f" as {a}" if a else "") for n, a in items)

    def from_sub(m: re.Match[str]) -> str:
        indent, mod, names = m["indent"], m["mod"], m["names"]
        items = split_names(names)
        tail = ""
        if not names.strip().startswith("(") and "#" in names:
            tail = "  #" + names.partition("#")[2]
        if mod in MODULES:
            return f"{indent}from {MODULES[mod]} import {names}"
        if mod == "danvan.models" or mod.startswith("danvan.models."):
            groups: dict[str, list[tuple[str, str | None]]] = {}
            for name, alias in items:
                if mod == "danvan.models" and name in {"cases", "opinion", "outreach", "training"}:
                    continue
                target = symbols.get(name)
                if target is None:
                    raise SystemExit(f"no home for danvan.models name {name}")
                if target == self_module:
                    continue
                groups.setdefault(target, []).append((name, alias))
            lines = [f"{indent}from {t} import {names_text(v)}" for t, v in groups.items()]
            return "\n".join(lines) + tail if lines else f"{indent}pass"
        if mod in packages or mod == "danvan":
            # `from danvan.core import cases, privacy`: names are modules
            groups = {}
            kept: list[tuple[str, str | None]] = []
            for name, alias in items:
                full = f"{mod}.{name}"
                if full in MODULES:
                    new_pkg, _, new_name = MODULES[full].rpartition(".")
                    groups.setdefault(new_pkg, []).append(
                        (new_name, alias or (name if new_name != name else None))
                    )
                else:
                    kept.append((name, alias))
            lines = [f"{indent}from {t} import {names_text(v)}" for t, v in groups.items()]
            if kept:
                lines.append(f"{indent}from {mod} import {names_text(kept)}")
            return "\n".join(lines) + tail
        return m.group(0)

    text = IMPORT_FROM.sub(from_sub, text)

    def plain_sub(m: re.Match[str]) -> str:
        mod = m["mod"]
        if mod in MODULES:
            alias = m["alias"] or f" as {mod.rsplit('.', 1)[1]}"
            return f"{m['indent']}import {MODULES[mod]}{alias}"
        return m.group(0)

    text = IMPORT_PLAIN.sub(plain_sub, text)
    # Dotted references in code and docs (not logger names: those stay).
    for old in sorted(MODULES, key=len, reverse=True):
        pattern = re.compile(rf"(?<![\w.]){re.escape(old)}(?![\w])")
        out_lines = []
        for line in text.split("\n"):
            if "getLogger(" not in line and "logger=" not in line:
                line = pattern.sub(MODULES[old], line)
            out_lines.append(line)
        text = "\n".join(out_lines)
    text = text.replace("danvan.models.base.", "danvan.kernel.models.")
    text = text.replace("import danvan.models.base\n", "import danvan.kernel.models\n")
    return text


def main() -> None:
    symbols = compose_models()
    # Move whole modules, keeping their logger names.
    for old, new in MODULES.items():
        if old.startswith("danvan.models."):
            continue
        src, dst = path_of(old), ROOT / Path(*new.split(".")).with_suffix(".py")
        dst.parent.mkdir(parents=True, exist_ok=True)
        text = src.read_text(encoding="utf-8")
        text = text.replace("getLogger(__name__)", f'getLogger("{old}")')
        src.write_text(text, encoding="utf-8")
        git("mv", str(src.relative_to(ROOT)), str(dst.relative_to(ROOT)))
    git("rm", "-q", "danvan/models/__init__.py", "danvan/core/__init__.py")
    git("rm", "-q", "danvan/analytics/__init__.py", "danvan/web/routes/__init__.py")
    for package in ("kernel", "accounts", "inbox", "opinion", "cases", "outreach", "training"):
        for sub in ("", "/routes"):
            init = ROOT / "danvan" / f"{package}{sub}" / "__init__.py"
            if init.parent.is_dir() and not init.exists():
                init.write_text("", encoding="utf-8")
    # Templates.
    templates = ROOT / "danvan/web/templates"
    for old, area in TEMPLATE_MOVES.items():
        dst = ROOT / "danvan" / area / "templates" / old
        dst.parent.mkdir(parents=True, exist_ok=True)
        git("mv", str((templates / old).relative_to(ROOT)), str(dst.relative_to(ROOT)))
    # Tests.
    for old, new in TEST_MOVES.items():
        src, dst = ROOT / old, ROOT / new
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
            for each in sorted(src.iterdir()):
                if each.name == "__pycache__":
                    continue
                git("mv", str(each.relative_to(ROOT)), str((dst / each.name).relative_to(ROOT)))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            git("mv", old, new)
    # Rewrite imports everywhere.
    for path in [
        *ROOT.glob("danvan/**/*.py"),
        *ROOT.glob("tests/**/*.py"),
        *ROOT.glob("bench/*.py"),
    ]:
        if path.name == "house_move.py":
            continue
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).with_suffix("")
        self_module = ".".join(rel.parts)
        new = rewrite(text, symbols, self_module)
        new = new.replace("from tests.api.conftest", "from tests.inbox.api.conftest")
        if new != text:
            path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
