"""Every URL the app serves and every CLI command with its options are a contract with users,
partners (Open311), the Zalo webhook settings and scripts: they are pinned here, so that moving
code between packages cannot silently change them. Adding one means adding it to the lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from starlette.routing import Mount

from danvan.cli import app as cli_app
from danvan.kernel.settings import Settings
from danvan.web.app import create_app

FIXTURES = Path(__file__).parent / "fixtures"


def _urls() -> list[str]:
    app = create_app(Settings(secret_key="x" * 32, database_url="sqlite://"))
    found: set[str] = set()
    for route in app.routes:
        if isinstance(route, Mount):
            found.add(f"MOUNT {route.path}")
            continue
        # Included routers are walked by FastAPI itself (prefixes applied).
        contexts = getattr(route, "effective_route_contexts", None)
        for each in contexts() if contexts else [route]:
            for method in sorted(getattr(each, "methods", None) or ()):
                if method != "HEAD":
                    found.add(f"{method} {each.path}")
    return sorted(found)


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(group.commands):
        command = group.commands[name]
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            out |= _commands(command, path + " ")
            continue
        out[path] = sorted(
            "/".join(sorted(p.opts)) + ("" if p.required else "?")
            for p in command.params
            if p.name != "help"
        )
    return out


def test_the_apps_urls_are_unchanged() -> None:
    expected = (FIXTURES / "urls.txt").read_text(encoding="utf-8").split()
    got = " ".join(_urls()).split()
    assert got == expected


def test_the_cli_commands_and_their_options_are_unchanged() -> None:
    group = typer.main.get_command(cli_app)
    expected = json.loads((FIXTURES / "cli.json").read_text(encoding="utf-8"))
    assert _commands(group) == expected
