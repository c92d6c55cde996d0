"""The public web form (citizens without an account) and the stored photos it brings.

Thin: each route reads the request, calls `danvan.inbox.webform` and renders a page. Routes open
their transaction explicitly (`database.session()` in a worker thread) because a refusal must
still commit: the rate-limit counters it raised are what stops the next attempt. Every refusal
re-renders the form with what the citizen typed (the photo aside: browsers cannot refill it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from danvan.inbox import media, refusals, webform
from danvan.inbox.models import Conversation
from danvan.kernel import geo
from danvan.kernel.db import Database
from danvan.kernel.errors import CoreError, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.web.deps import SessionDep, WebActor, check_csrf, client_ip
from danvan.web.i18n import LOCALES, SESSION_KEY
from danvan.web.templating import render

router = APIRouter(include_in_schema=False)

# Room for the text fields next to the largest photo; bigger bodies are refused unread.
FORM_OVERHEAD_BYTES = 512 * 1024
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
MEDIA_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=3600",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}

T = TypeVar("T")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _transact(database: Database, work: Callable[[Session], T]) -> T | CoreError:
    """Run `work` in one transaction that commits even when the core refuses: the counters a
    refusal raised (rate limits, failed lookups) must outlive it. Other errors roll back."""
    with database.session() as session:
        try:
            return work(session)
        except CoreError as exc:
            return exc


async def _in_transaction(request: Request, work: Callable[[Session], T]) -> T | CoreError:
    return await run_in_threadpool(_transact, request.app.state.database, work)


def _choose_locale(request: Request) -> None:
    """`?lang=en` switches this visitor's pages (kept in the session cookie)."""
    lang = request.query_params.get("lang")
    if lang in LOCALES:
        request.session[SESSION_KEY] = lang


# --- Pages ------------------------------------------------------------------------------------


def _form_page(
    request: Request,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    refusal: str | None = None,
    token: str | None = None,
    photo_dropped: bool = False,
    status_code: int = 200,
) -> Response:
    settings = _settings(request)
    province = geo.province(settings.province)
    return render(
        request,
        "public/form.html",
        {
            "province": province,
            "communes": province.communes,
            "values": dict(values or {}),
            "errors": dict(errors or {}),
            "refusal": refusal,
            "form_token": token or webform.issue_form_token(secret_key=settings.secret_key),
            "photo_dropped": photo_dropped,
            **_limits(settings),
        },
        status_code=status_code,
        headers=PRIVATE,
    )


def _limits(settings: Settings) -> dict[str, Any]:
    return {
        "max_text": settings.webform_max_text,
        "max_photo_bytes": settings.webform_max_photo_bytes,
        "max_photo_mb": f"{settings.webform_max_photo_bytes / 1024 / 1024:g}",
        "max_links": refusals.MAX_LINKS,
        "max_name": refusals.MAX_NAME,
    }


def _error_page(request: Request, *, code: str, status_code: int) -> Response:
    return render(
        request, "public/error.html", {"code": code}, status_code=status_code, headers=PRIVATE
    )


@router.get("/gop-y")
def form_page(request: Request) -> Response:
    """The form: commune, optional name and phone (kept only with consent), message, photo."""
    _choose_locale(request)
    return _form_page(request)


# --- Reading the posted form ------------------------------------------------------------------


class _Unreadable(Exception):
    """The body is not a form we can read (too large, malformed): refused before parsing it."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


async def _read_form(request: Request) -> tuple[webform.FormInput, bool]:
    """The posted fields as raw strings, the photo's bytes (at most one byte past the limit),
    and whether a photo was attached."""
    settings = _settings(request)
    limit = settings.webform_max_photo_bytes + FORM_OVERHEAD_BYTES
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _Unreadable(413, "too_large")
    try:
        form = await request.form(max_files=2, max_fields=30)
    except HTTPException as exc:
        raise _Unreadable(400, "unreadable") from exc

    def text(name: str) -> str:
        value = form.get(name)
        return value[: settings.webform_max_text * 4] if isinstance(value, str) else ""

    photo: bytes | None = None
    upload = form.get("photo")
    if isinstance(upload, UploadFile) and (upload.filename or upload.size):
        photo = await upload.read(settings.webform_max_photo_bytes + 1)
        if not photo and not upload.filename:
            photo = None
    fields = webform.FormInput(
        text=text("text"),
        commune_code=text("commune_code"),
        commune_text=text("commune_text"),
        name=text("name"),
        phone=text("phone"),
        consent=text("consent") in ("1", "on", "yes"),
        photo=photo,
        honeypot=text("website"),
        token=text("form_token"),
    )
    return fields, photo is not None


async def _csrf_ok(request: Request) -> bool:
    try:
        await check_csrf(request)
    except HTTPException:
        return False
    return True


def _kept(fields: webform.FormInput) -> dict[str, Any]:
    return {
        "text": fields.text,
        "commune_code": fields.commune_code,
        "commune_text": fields.commune_text,
        "name": fields.name,
        "phone": fields.phone,
        "consent": fields.consent,
    }


def _refusal(exc: CoreError) -> tuple[dict[str, str], str | None]:
    """Field errors, or the code of a refusal of the whole form."""
    if isinstance(exc, refusals.FormInvalid):
        return exc.errors, None
    return {}, exc.code


@router.post("/gop-y")
async def submit(request: Request) -> Response:
    """Store a new message and send the citizen to the page that shows their tracking code."""
    settings = _settings(request)
    try:
        fields, has_photo = await _read_form(request)
    except _Unreadable as exc:
        return _error_page(request, code=exc.code, status_code=exc.status)
    now = utcnow()
    token = webform.token_to_keep(secret_key=settings.secret_key, token=fields.token, now=now)
    if not await _csrf_ok(request):
        return _form_page(
            request,
            values=_kept(fields),
            refusal="csrf",
            token=token,
            photo_dropped=has_photo,
            status_code=403,
        )
    ip = client_ip(request)
    outcome = await _in_transaction(
        request,
        lambda session: webform.do_submit(session, settings=settings, form=fields, ip=ip, now=now),
    )
    if isinstance(outcome, CoreError):
        errors, refusal = _refusal(outcome)
        return _form_page(
            request,
            values=_kept(fields),
            errors=errors,
            refusal=refusal,
            token=token,
            photo_dropped=has_photo,
            status_code=outcome.status,
        )
    return RedirectResponse(f"/gop-y/{outcome}/cam-on", status_code=303)


# --- Looking a thread up ----------------------------------------------------------------------


@router.get("/gop-y/tra-cuu")
def lookup(request: Request) -> Response:
    """The old address of the lookup box: one box at /tra-cuu now takes tracking codes and
    case codes alike (links already printed or sent keep working, query and all)."""
    query = request.url.query
    return RedirectResponse("/tra-cuu" + (f"?{query}" if query else ""), status_code=301)


def _thread_context(session: Session, conversation: Conversation) -> dict[str, Any]:
    return {
        "code": conversation.contact.external_id,
        "entries": webform.thread_entries(session, conversation=conversation),
        "staff": webform.staff_label_parts(conversation.commune_code),
        "commune_name": geo.commune_name(conversation.commune_code),
    }


def _thread_page(
    request: Request,
    context: Mapping[str, Any],
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    refusal: str | None = None,
    token: str | None = None,
    photo_dropped: bool = False,
    status_code: int = 200,
) -> Response:
    settings = _settings(request)
    return render(
        request,
        "public/thread.html",
        {
            **context,
            "values": dict(values or {}),
            "errors": dict(errors or {}),
            "refusal": refusal,
            "form_token": token or webform.issue_form_token(secret_key=settings.secret_key),
            "photo_dropped": photo_dropped,
            **_limits(settings),
        },
        status_code=status_code,
        headers=PRIVATE,
    )


def _not_found_or(request: Request, exc: CoreError) -> Response:
    if isinstance(exc, NotFound):
        return _error_page(request, code="not_found", status_code=404)
    return _error_page(request, code=exc.code, status_code=exc.status)


@router.get("/gop-y/{code}/cam-on")
def thanks(request: Request, code: str) -> Response:
    """The thank-you page: the tracking code, to copy or write down, and the way back."""
    ip = client_ip(request)
    outcome = _transact(
        request.app.state.database,
        lambda session: webform.access_thread(session, code=code, ip=ip).contact.external_id,
    )
    if isinstance(outcome, CoreError):
        return _not_found_or(request, outcome)
    return render(request, "public/thanks.html", {"code": outcome}, headers=PRIVATE)


@router.get("/gop-y/{code}")
def thread(request: Request, code: str) -> Response:
    """The citizen's thread: their messages and the commune's sent replies, and a reply box."""
    _choose_locale(request)
    ip = client_ip(request)
    outcome = _transact(
        request.app.state.database,
        lambda session: _thread_context(session, webform.access_thread(session, code=code, ip=ip)),
    )
    if isinstance(outcome, CoreError):
        return _not_found_or(request, outcome)
    return _thread_page(request, outcome)


@router.post("/gop-y/{code}")
async def thread_reply(request: Request, code: str) -> Response:
    """The citizen answers on their thread: a new inbound message, unread for staff again."""
    settings = _settings(request)
    ip = client_ip(request)
    try:
        fields, has_photo = await _read_form(request)
    except _Unreadable as exc:
        return _error_page(request, code=exc.code, status_code=exc.status)
    now = utcnow()
    token = webform.token_to_keep(secret_key=settings.secret_key, token=fields.token, now=now)
    csrf_ok = await _csrf_ok(request)

    def work(session: Session) -> tuple[dict[str, Any], CoreError | None]:
        conversation = webform.access_thread(session, code=code, ip=ip)
        if not csrf_ok:
            return _thread_context(session, conversation), None
        try:
            webform.do_thread_reply(
                session, settings=settings, conversation=conversation, form=fields, ip=ip, now=now
            )
        except CoreError as exc:
            # Only counters were written: they are committed with the refusal.
            return _thread_context(session, conversation), exc
        return {"code": conversation.contact.external_id}, None

    outcome = await _in_transaction(request, work)
    if isinstance(outcome, CoreError):
        return _not_found_or(request, outcome)
    context, refused = outcome
    if csrf_ok and refused is None:
        return RedirectResponse(f"/gop-y/{context['code']}#moi-nhat", status_code=303)
    errors, refusal = _refusal(refused) if refused is not None else ({}, "csrf")
    return _thread_page(
        request,
        context,
        values={"text": fields.text},
        errors=errors,
        refusal=refusal,
        token=token,
        photo_dropped=has_photo,
        status_code=refused.status if refused is not None else 403,
    )


# --- Stored photos ----------------------------------------------------------------------------


def _media_response(media: media.MediaFile) -> Response:
    return Response(media.data, media_type=media.content_type, headers=MEDIA_HEADERS)


@router.get("/gop-y/{code}/media/{name}")
def thread_media(request: Request, code: str, name: str) -> Response:
    """A photo of the citizen's own thread."""
    ip = client_ip(request)

    def work(session: Session) -> media.MediaFile:
        conversation = webform.access_thread(session, code=code, ip=ip)
        return webform.access_thread_media(session, conversation=conversation, name=name)

    outcome = _transact(request.app.state.database, work)
    if isinstance(outcome, CoreError):
        return _not_found_or(request, outcome)
    return _media_response(outcome)


@router.get("/media/{name}")
def staff_media(name: str, actor: WebActor, session: SessionDep) -> Response:
    """A stored photo (from the web form, or of a staff reply on any channel), for signed-in
    staff who see its conversation. Anonymous visitors are sent to the login page; out-of-scope
    photos are 404."""
    try:
        found = media.access_media(session, actor=actor, name=name)
    except NotFound:
        return Response("Not found", status_code=404, media_type="text/plain")
    return _media_response(found)
