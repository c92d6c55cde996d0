"""What a newcomer needs in their first hour is in the README (issue 14): the options of the
personal-data commands, the settings they will meet, the generated key file, every benchmark
and what the long ones cost, where the research datasets come from."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from danvan.cli import app as cli_app

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
BENCH = Path(__file__).parents[1] / "bench"


@pytest.mark.parametrize(
    "needed",
    [
        "DANVAN_BASE_URL",
        "DANVAN_MEDIA_DIR",
        "DANVAN_TIMEZONE",
        "DANVAN_ANALYSIS_ENABLED",
        "DANVAN_DATA_DIR",
        "var/danvan.db.secret_key",
        "100,000 followers",
        "DANVAN_CLI_LANG",
    ],
)
def test_the_readme_names_it(needed: str) -> None:
    assert needed in README


@pytest.mark.parametrize("command", ["export", "delete"])
def test_the_readme_gives_every_option_of_the_contact_commands(command: str) -> None:
    group = typer.main.get_command(cli_app).commands["contact"].commands[command]  # type: ignore[attr-defined]
    options = [opt for param in group.params for opt in param.opts if opt.startswith("--")]
    assert options, command
    line = next(line for line in README.splitlines() if f"danvan contact {command} ID" in line)
    for option in options:
        assert option in line, (command, option)


def test_the_readme_lists_every_benchmark() -> None:
    for script in sorted(BENCH.glob("*.py")):
        name = script.stem
        if name.startswith("_") or name in ("bare_app",):
            continue
        assert f"`{name}`" in README or f"bench {name}" in README, name
