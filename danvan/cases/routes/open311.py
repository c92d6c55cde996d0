"""Open311 GeoReport v2 under /open311/v2/ (services = categories, requests = cases), JSON
and XML. Thin over `danvan.cases.open311`; errors in GeoReport's shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from danvan.cases import open311 as o311
from danvan.cases import tracking
from danvan.kernel import taxonomy
from danvan.web.deps import SessionDep, SettingsDep, client_ip

router = APIRouter(prefix="/open311/v2", tags=["open311"])

Format = Literal["json", "xml"]
MAX_POST_BYTES = 64 * 1024
# The element name of one item of each list, for XML.
_ITEM = {"services": "service", "service_requests": "request", "errors": "error"}


def _xml(root: str, items: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for item in items:
        element = ET.SubElement(top, _ITEM[root])
        for key, value in item.items():
            child = ET.SubElement(element, key)
            if isinstance(value, list):
                for entry in value:
                    sub = ET.SubElement(child, "attribute")
                    for k, v in entry.items():
                        ET.SubElement(sub, k).text = _text(v)
            else:
                child.text = _text(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode").encode()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _answer(fmt: str, root: str, items: list[dict[str, Any]], status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(root, items), status_code=status, media_type="text/xml; charset=utf-8")
    return JSONResponse(items, status_code=status)


def _error(fmt: str, status: int, description: str) -> Response:
    return _answer(fmt, "errors", [{"code": status, "description": description}], status)


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise o311.Open311Error(400, "dates must be ISO 8601") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/services.{fmt}")
def services(fmt: Format, request: Request) -> Response:
    """The service list: one service per case category."""
    locale = "en" if request.query_params.get("locale", "").startswith("en") else "vi"
    return _answer(fmt, "services", o311.services(locale))


@router.get("/services/{service_code}.{fmt}")
def service_definition(fmt: Format, service_code: str) -> Response:
    """A service's definition: danvan asks no extra attributes."""
    if service_code not in {t.code for t in taxonomy.topics()}:
        return _error(fmt, 404, "service_code not found")
    items = [{"service_code": service_code, "attributes": []}]
    if fmt == "xml":
        top = ET.Element("service_definition")
        ET.SubElement(top, "service_code").text = service_code
        ET.SubElement(top, "attributes")
        body = (
            b'<?xml version="1.0" encoding="utf-8"?>'
            + ET.tostring(top, encoding="unicode").encode()
        )
        return Response(body, media_type="text/xml; charset=utf-8")
    return JSONResponse(items[0])


def _reader(session: Session, request: Request, api_key: str | None) -> bool | None:
    """Whether the caller holds a key (full answers); None: a keyless caller past the limit it
    shares with the public page (codes are sequential; a list is read as one lookup)."""
    if o311.key_for(session, api_key) is not None:
        return True
    return False if tracking.lookup_allowed(session, client_ip(request)) else None


LIMITED = "too many requests without api_key; try again later"


@router.get("/requests.{fmt}")
def requests_list(
    fmt: Format,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
    service_code: Annotated[str | None, Query(max_length=400)] = None,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    api_key: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Service requests (cases), newest first, at most 200. With a valid `api_key` the
    description and coordinates are included; without one, what the public page shows, and
    calls are counted with the public page's lookups (429 past the limit)."""
    full = _reader(session, request, api_key)
    if full is None:
        return _error(fmt, 429, LIMITED)
    try:
        cases = o311.find_requests(
            session,
            ids=[i for i in (service_request_id or "").split(",") if i.strip()],
            service_code=service_code,
            status=status,
            start=_when(start_date),
            end=_when(end_date),
        )
    except o311.Open311Error as exc:
        return _error(fmt, exc.status, exc.message)
    items = [o311.request_dict(session, settings=settings, case=c, full=full) for c in cases]
    return _answer(fmt, "service_requests", items)


@router.get("/requests/{request_id}.{fmt}")
def request_one(
    fmt: Format,
    request_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    api_key: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """One service request, as a one-item list (as GeoReport specifies). Without a key, counted
    with the public page's lookups (429 past the limit)."""
    full = _reader(session, request, api_key)
    if full is None:
        return _error(fmt, 429, LIMITED)
    case = tracking.find_by_code(session, request_id)
    if case is None:
        return _error(fmt, 404, "service_request_id not found")
    return _answer(
        fmt,
        "service_requests",
        [o311.request_dict(session, settings=settings, case=case, full=full)],
    )


@router.post("/requests.{fmt}")
async def request_create(fmt: Format, request: Request, settings: SettingsDep) -> Response:
    """Create a service request (form-encoded, `api_key` required): a new case of the commune
    named by `address_string` or `address_id`. The answer holds its `service_request_id`."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_POST_BYTES:
        return _error(fmt, 413, "request too large")
    try:
        form = await request.form(max_files=0, max_fields=50)
    except Exception:
        return _error(fmt, 400, "unreadable form body")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}

    def work() -> str:
        # Any refusal raises, so the transaction rolls back (a code number may be skipped).
        with request.app.state.database.session() as session:
            key = o311.key_for(session, fields.get("api_key"))
            if key is None:
                raise o311.Open311Error(403, "api_key missing or invalid")
            return o311.do_post_request(session, settings=settings, key=key, fields=fields).code

    try:
        code = await run_in_threadpool(work)
    except o311.Open311Error as exc:
        return _error(fmt, exc.status, exc.message)
    return _answer(
        fmt,
        "service_requests",
        [{"service_request_id": code, "service_notice": "", "account_id": ""}],
    )
