"""The web kit of the JSON API: routes whose errors all take the `{"detail", "code"}` shape
and whose bodies are bounded (`ApiRoute`), the error responses every router declares, and the
schema building blocks every area's API shares (ids that fit the database, cleaned strings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict
from starlette.exceptions import HTTPException
from starlette.types import Message

from danvan.kernel.errors import Invalid
from danvan.kernel.text import clean

# Integer columns are 32-bit on PostgreSQL: a larger id is refused with a 422, not a 500.
MAX_DB_INT = 2_147_483_647
DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
# Decomposed (NFD) Vietnamese takes up to three code points a letter: the core measures the
# real limit after NFC; this only bounds what is read.
RAW_FACTOR = 4


def clean_value(value: object) -> object:
    """NFC text without control characters; anything else as it came."""
    return clean(value) if isinstance(value, str) else value


CleanStr = Annotated[str, BeforeValidator(clean_value)]


class Schema(BaseModel):
    """The base of every API input: unknown fields refused, and values taken only as their
    declared JSON type (strict): `true` is no id, `1.5` no integer, `"3"` no number. Dates and
    times come as ISO 8601 strings (`ApiDateTime`, `ApiDate`)."""

    model_config = ConfigDict(extra="forbid", strict=True)


_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def iso_only(value: object) -> object:
    """ISO 8601 text (or a datetime/date already), never a number: pydantic would read
    `start=0.5` as half a second after 1970."""
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value)
    ):
        raise ValueError("expected an ISO 8601 date or date-time, e.g. 2026-12-10T09:00:00+07:00")
    return value


# Not strict: a string is the only way JSON and query strings carry a date (a `Strict` marker,
# not a `Field`, so that FastAPI takes these for query parameters as well).
ApiDateTime = Annotated[datetime, Strict(False), BeforeValidator(iso_only)]
ApiDate = Annotated[date, Strict(False), BeforeValidator(iso_only)]


# --- errors ---------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    detail: str = Field(description="What went wrong, in Vietnamese")
    code: str = Field(description="Stable machine-readable code, e.g. not_found, forbidden")


# Nothing the API accepts comes near this (a reply is at most 8,000 characters).
MAX_BODY = 256 * 1024
TOO_LARGE = f"Dữ liệu gửi lên lớn quá {MAX_BODY // 1024} KiB"
INVALID_BODY = "Dữ liệu không hợp lệ — nội dung gửi lên không phải JSON"
HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large"}


class BodyTooLarge(Exception):
    pass


class ApiRoute(APIRoute):
    """Turns FastAPI's own errors into the API's `{"detail", "code"}` shape, and bounds bodies.

    A validation error is re-raised as the core's `Invalid`, so that the request's transaction
    rolls back exactly as for any core error. An `HTTPException` (the 401 of `api_actor`) is
    answered here: it is raised before anything is written. A body larger than `MAX_BODY` gets
    a 413 (announced by Content-Length: before it is read; streamed: as soon as it is past the
    limit). FastAPI's own `max_body_size` would answer that 413 in plain text.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_BODY:
                return error_response(413, TOO_LARGE, "too_large")
            upstream = request.receive
            size = 0

            async def receive() -> Message:
                nonlocal size
                message = await upstream()
                if message["type"] == "http.request":
                    size += len(message.get("body", b""))
                    if size > MAX_BODY:
                        raise BodyTooLarge
                return message

            try:
                return await handler(Request(request.scope, receive))
            except RequestValidationError as exc:
                raise Invalid(describe(exc.errors()), code="invalid_input") from exc
            except HTTPException as exc:
                if size > MAX_BODY:  # FastAPI reports a failed body read as a 400
                    return error_response(413, TOO_LARGE, "too_large")
                if exc.status_code == 400:  # a body that is not JSON: invalid input, as declared
                    return error_response(422, INVALID_BODY, "invalid_input")
                code = HTTP_CODES.get(exc.status_code, "error")
                return error_response(exc.status_code, str(exc.detail), code, exc.headers)

        return route_handler


def error_response(
    status: int, detail: str, code: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


def describe(errors: Any) -> str:
    parts = []
    for error in list(errors)[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "Dữ liệu không hợp lệ — " + "; ".join(parts)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid bearer token"},
    404: {"model": ErrorOut, "description": "Not found, or outside your communes"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut, "description": "Read-only account"}
}


def utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime; a naive one is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise Invalid("Thời điểm không hợp lệ", code="invalid_input") from None
