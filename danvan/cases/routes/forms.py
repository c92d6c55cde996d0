"""Reading the staff pages' query strings and forms (shared by `pages` and `admin`)."""

from __future__ import annotations

from fastapi import Request


def int_or_none(value: str | None) -> int | None:
    """The value as an id; None when it is empty, not all digits, or too long."""
    return int(value) if value and value.strip().isdigit() and len(value) < 10 else None


async def read_form(request: Request) -> dict[str, str]:
    """The request's form fields (no files, at most 20), each cut at 40,000 characters."""
    form = await request.form(max_files=0, max_fields=20)
    return {k: v[:40_000] for k, v in form.items() if isinstance(v, str)}
