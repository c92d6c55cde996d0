"""The opinion area's commands: `danvan model …` (the NLP engine and the product's classifiers),
`danvan report …` (situation reports), `danvan analyze` (label stored messages) and
`danvan classify` (label a CSV file's texts)."""

from __future__ import annotations

import typer

from danvan.opinion.cli_analyze import analyze
from danvan.opinion.cli_classify import classify
from danvan.opinion.cli_model import model_app
from danvan.opinion.cli_report import report_app


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
    app.add_typer(report_app, name="report")
    app.command()(analyze)
    app.command()(classify)
