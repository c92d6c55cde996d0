"""`danvan analyze`: run the opinion classifiers over stored messages (placeholder)."""

from __future__ import annotations

import typer


def analyze() -> None:
    """Classify stored citizen messages (topic, sentiment, kind, urgency, abuse)."""
    typer.echo("error: not available yet", err=True)
    raise typer.Exit(1)
