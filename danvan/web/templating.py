"""The one Jinja2 environment of the web UI (staff and public pages), its filters and `render`.

Autoescaping is on for every template: citizen text is only ever output as an escaped value.
No filter here returns `Markup`; none may be used with `|safe` on data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from danvan.accounts.models import User
from danvan.kernel import geo, numbers
from danvan.kernel.areas import nav_links, template_dirs
from danvan.kernel.models import utcnow
from danvan.kernel.text import shorten
from danvan.web.deps import csrf_token
from danvan.web.i18n import DEFAULT_LOCALE, LOCALE_NAMES, locale_of, translator

TEMPLATE_DIR = Path(__file__).parent / "templates"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class CurrentUser:
    """What pages show of the signed-in user. A plain snapshot, safe to use after the request's
    transaction ended (error pages are rendered after a rollback)."""

    id: int
    name: str
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "officer")

    @classmethod
    def of(cls, user: User) -> CurrentUser:
        return cls(id=user.id, name=user.full_name or user.email, email=user.email, role=user.role)


@lru_cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _tz(context: Context | Mapping[str, Any]) -> ZoneInfo:
    value = context.get("timezone")
    return value if isinstance(value, ZoneInfo) else zone(DEFAULT_TIMEZONE)


def _locale(context: Context | Mapping[str, Any]) -> str:
    value = context.get("locale")
    return value if isinstance(value, str) else DEFAULT_LOCALE


# Photos stored by danvan itself (the web form), served to staff in scope at /media/<name>.
_OWN_MEDIA = re.compile(r"/media/[0-9a-f]{32}\.(?:jpg|png|webp)")


def http_url(value: object) -> str:
    """The URL if it is absolute http(s) or one of danvan's own stored photos, else "" (no
    javascript:, data: or other relative links)."""
    if not isinstance(value, str) or len(value) > 4000:
        return ""
    value = value.strip()
    if _OWN_MEDIA.fullmatch(value):
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    if any(ch in value for ch in "\x00\r\n\t "):
        return ""
    return value


def as_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if number == number and abs(number) <= 180 else None  # NaN, out of range


def osm_url(latitude: object, longitude: object) -> str:
    lat, lon = as_float(latitude), as_float(longitude)
    if lat is None or lon is None or abs(lat) > 90:
        return ""
    return (
        "https://www.openstreetmap.org/?"
        + urlencode({"mlat": f"{lat:.6f}", "mlon": f"{lon:.6f}"})
        + f"#map=17/{lat:.6f}/{lon:.6f}"
    )


@pass_context
def filesize(context: Context, value: object) -> str:
    """A file's size in the page's language: "20,0 KB" (Vietnamese), "20.0 KB" (English)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        return ""
    size = float(value)
    locale = _locale(context)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return (
                f"{size:.0f} {unit}"
                if unit == "B"
                else f"{numbers.number(size, locale=locale)} {unit}"
            )
        size /= 1024
    return f"{numbers.number(size, locale=locale)} GB"


@pass_context
def local_time(context: Context, value: datetime | str | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A time in the deployment's zone (DANVAN_TIMEZONE); also an ISO string with its offset,
    as reports hold them."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return ""
    if value is None or value.tzinfo is None:
        return ""
    return value.astimezone(_tz(context)).strftime(fmt)


def iso_time(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


@pass_context
def when(context: Context, value: datetime | None) -> str:
    """Relative for today ("5 phút trước"), the day otherwise; in the deployment's zone."""
    if value is None:
        return ""
    _ = context.get("_") or translator(DEFAULT_LOCALE)
    tz = _tz(context)
    now = utcnow().astimezone(tz)
    local = value.astimezone(tz)
    if local.date() == now.date():
        seconds = (now - local).total_seconds()
        if seconds < 60:
            return str(_("time.just_now"))
        if seconds < 3600:
            return str(_("time.minutes_ago", n=int(seconds // 60)))
        return str(_("time.hours_ago", n=int(seconds // 3600)))
    if local.date() == (now - timedelta(days=1)).date():
        return str(_("time.yesterday", time=local.strftime("%H:%M")))
    if local.year == now.year:
        return local.strftime("%d/%m %H:%M")
    return local.strftime("%d/%m/%Y")


@pass_context
def waited(context: Context, since: datetime | None) -> str:
    """How long someone has waited since `since`: "12 phút", "3 giờ", "2 ngày"."""
    if since is None:
        return ""
    _ = context.get("_") or translator(DEFAULT_LOCALE)
    minutes = max(0, int((utcnow() - since).total_seconds() // 60))
    if minutes < 60:
        return str(_("time.minutes", n=minutes))
    if minutes < 48 * 60:
        return str(_("time.hours", n=minutes // 60))
    return str(_("time.days", n=minutes // (24 * 60)))


@pass_context
def number_filter(context: Context, value: object, digits: int = 1) -> str:
    """`|number`: a count ("1.234") or a decimal ("12,5") in the page's language ("—": none)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    return numbers.number(value, digits, locale=_locale(context))


@pass_context
def percent_filter(
    context: Context, value: object, digits: int = 1, *, signed: bool = False
) -> str:
    """`|percent`: a value in percent units as "58,3%" (Vietnamese) or "58.3%" ("—": none)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    return numbers.percent(float(value), digits, locale=_locale(context), signed=signed)


def commune_name(code: int | None) -> str:
    return geo.commune_name(code)


def shorten_filter(value: object, limit: int = 120) -> str:
    """`|shorten(80)`: a title or text cut at a word boundary, with an ellipsis. Works on the
    text itself (already-escaped markup, e.g. from `|join`, is unescaped first) and returns a
    plain str, which autoescaping escapes once."""
    if isinstance(value, Markup):
        value = value.unescape()
    return shorten(value, limit) if isinstance(value, str) else ""


# The room the menu has in one bar at 1280 px beside the brand, language, name and sign-out;
# a wider menu goes on a row of its own under them (no script measures anything after load).
# What the bar leaves the menu at 1280 px (measured 812 for the Vietnamese admin; the estimate
# runs about 13 px short of the real width, so the room is kept below that).
NAV_ROOM = 780
NAV_TOGGLE = 26  # the drop-down beside a link that others fold under


def nav_width(links: list[tuple[Any, int]], translate: Any) -> int:
    """About how wide the bar's menu is, in px: its labels (8 px a letter), padding, badges, the
    drop-downs of links folded under another, and the one "Quản trị" entry that holds the
    admin-only links."""
    shown = [(link, badge) for link, badge in links if not link.admin_only]
    parents = {link.parent for link, _badge in shown if link.parent}
    width = sum(
        len(str(translate(link.key))) * 8 + 16 + (32 if badge else 0)
        for link, badge in shown
        if not link.parent
    )
    for parent in parents:  # one drop-down each, with its links' count
        counted = any(badge for link, badge in shown if link.parent == parent)
        width += NAV_TOGGLE + (32 if counted else 0)
    if any(link.admin_only for link, _badge in links):
        width += len(str(translate("nav.admin"))) * 8 + 30
    return width


env = Environment(
    # The web kit's templates, then each area's own (templates keep their names: "cases/case.html").
    loader=FileSystemLoader([TEMPLATE_DIR, *template_dirs()]),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(
    http_url=http_url,
    osm_url=osm_url,
    as_float=as_float,
    filesize=filesize,
    local_time=local_time,
    iso_time=iso_time,
    when=when,
    waited=waited,
    commune_name=commune_name,
    shorten=shorten_filter,
    number=number_filter,
    percent=percent_filter,
)
templates = Jinja2Templates(env=env)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page with what every template expects: `_`, `locale`, `csrf_token`,
    `current_user` (a `CurrentUser` or None) and `timezone`."""
    locale = locale_of(request.session) if "session" in request.scope else DEFAULT_LOCALE
    settings = getattr(request.app.state, "settings", None)
    current_user = getattr(request.state, "current_user", None)
    full: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "locale_names": LOCALE_NAMES,
        "_": translator(locale),
        "csrf_token": csrf_token(request) if "session" in request.scope else "",
        "current_user": current_user,
        "timezone": zone(getattr(settings, "timezone", DEFAULT_TIMEZONE)),
    }
    full.update(context or {})
    if current_user is not None and "nav_links" not in full:
        # The menu without badges; `web.pages.page` gives it with them (it has the session).
        admin = bool(getattr(current_user, "is_admin", False))
        full["nav_links"] = [(link, 0) for link in nav_links(admin=admin)]
    if full.get("nav_links"):
        full.setdefault("nav_long", nav_width(full["nav_links"], full["_"]) > NAV_ROOM)
    all_headers = dict(headers or {})
    if full.get("current_user") is not None:
        # Pages with citizens' words stay out of shared caches and the back-button cache.
        all_headers.setdefault("Cache-Control", "no-store")
    return templates.TemplateResponse(
        request, name, full, status_code=status_code, headers=all_headers
    )
