"""`danvan report …`: situation reports (placeholder until the reports land)."""

from __future__ import annotations

import typer

report_app = typer.Typer(no_args_is_help=True, help="Reports (situation reports)")
