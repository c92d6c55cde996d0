"""`danvan analyze`: run the opinion classifiers over stored messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

import typer

from danvan.kernel import cli_lang


def _parse_day(value: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value.strip()), time(0), tzinfo=UTC)
    except ValueError:
        raise typer.BadParameter(
            cli_lang.say(
                "{value!r}: cần một ngày dạng 2026-11-01",
                "{value!r}: expected a date such as 2026-11-01",
                value=value,
            )
        ) from None


def analyze(
    since: Annotated[
        str, typer.Option("--since", help="Re-label messages received on or after this date")
    ],
    batch: Annotated[int, typer.Option(help="Messages per transaction")] = 500,
) -> None:
    """Classify stored citizen messages (topic, sentiment, kind, urgency, abuse) with the model
    set in use. Model labels are replaced; labels corrected by staff are kept."""
    from danvan.kernel.db import get_database
    from danvan.kernel.settings import get_settings
    from danvan.opinion.labels import reanalyse

    day = _parse_day(since)
    if batch < 1:
        raise typer.BadParameter(cli_lang.say("--batch ít nhất là 1", "--batch must be at least 1"))
    done = reanalyse(
        get_database(),
        get_settings(),
        since=day,
        batch=batch,
        log=lambda m: typer.echo(m, err=True),
    )
    typer.echo(f"Labelled {done} message(s) since {day:%Y-%m-%d}.")
