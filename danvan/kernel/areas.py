"""The one list of danvan's capabilities and what each plugs into the product.

A newcomer reads this file to know where everything lives: each `Area` is one package
(`danvan/<name>/`) holding its tables, logic, routes, jobs, CLI, demo data and templates, and
each field below is one way an area plugs into the rest. The kernel names the areas' code only
as dotted paths ("package.module:attribute"), imported when first used, so that importing the
kernel (or taking a webhook) imports no capability, nor the NLP stack behind one; and so that
what must go upward or sideways (a commune changed, a report's sections, a citizen's text) goes
through a hook here instead of an import.

The hooks, with the signature each dotted path must have:
- models: a module of tables (registered on `kernel.models.Base` when imported).
- routers: FastAPI routers, included by the app factory in this order.
- jobs: a `list[kernel.jobs.Job]` the worker runs.
- cli: `register(app: typer.Typer) -> None`, adding the area's commands to `danvan`.
- seed: `seed(session, *, settings, users: dict[str, User]) -> None`, the area's demo data, run
  in this order (accounts fills `users`).
- nav: links of the staff menu (`NavLink`), with an optional badge `(session, actor) -> int`.
- panels: templates the conversation page includes (each loads its own data with htmx).
- text: a module with `wants_text(session, text) -> bool` (cheap: asked for every inbound text)
  and `on_text(session, *, channel, user_id, text) -> bool` (True: consumed, stop there), and
  optionally `on_shared_info(session, contact)` (after a citizen shared name/phone/address).
- on_commune_changed: `(session, *, conversation_id, commune_code) -> None`, called in the
  transaction that moves a conversation to another commune (`inbox.communes`).
- personal_data: a module with `export_contact_data(session, contact) -> dict` (JSON-ready) and
  `erase_contact_data(session, contact) -> dict[str, int]` (counts, never data). Every table
  holding citizen text or identity must be covered by one.
- report_sections: `(session, *, actor, start, end, commune_code) -> dict`, figures an area adds
  to the situation report (keyed by the area's name).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class NavLink:
    key: str  # i18n key of the label ("nav.cases")
    href: str
    nav: str  # the `nav` a page passes to mark its link as the current one
    position: int  # place in the menu, left to right
    admin_only: bool = False
    # "module:function", `(session, *, actor) -> int`, shown beside the label (0: nothing), with
    # `badge_title` (an i18n key taking `n`) as its tooltip.
    badge: str | None = None
    badge_title: str = ""
    # The `nav` of the link this one folds under on wide screens (a drop-down beside it), so
    # that the bar fits one row at 1280 px; phones list it as any other.
    parent: str | None = None


@dataclass(frozen=True)
class Area:
    # The area's name: its package under danvan/, and the key of what it holds in a citizen's
    # data export (Decree 13) and in the situation report's sections.
    name: str
    models: str | None = None
    routers: tuple[str, ...] = ()
    jobs: str | None = None
    cli: str | None = None
    seed: str | None = None
    nav: tuple[NavLink, ...] = ()
    panels: tuple[str, ...] = ()
    text: str | None = None
    on_commune_changed: str | None = None
    personal_data: str | None = None
    report_sections: str | None = None

    @property
    def package(self) -> str:
        return f"danvan.{self.name}"

    @property
    def templates(self) -> Path:
        return Path(__file__).resolve().parent.parent / self.name / "templates"


# In layer order: an area may use those above it, never those below (ARCHITECTURE.md).
AREAS: tuple[Area, ...] = (
    Area(
        "accounts",
        models="danvan.accounts.models",
        routers=(
            "danvan.accounts.routes.pages:router",
            "danvan.accounts.routes.password:router",
            "danvan.accounts.routes.api:router",
        ),
        jobs="danvan.accounts.jobs:JOBS",
        cli="danvan.accounts.cli:register",
        seed="danvan.accounts.demo:seed",
        nav=(
            NavLink("nav.users", "/admin/users", "users", 90, admin_only=True),
            NavLink("nav.audit", "/admin/audit", "audit", 91, admin_only=True),
        ),
    ),
    Area(
        "inbox",
        models="danvan.inbox.models",
        routers=(
            "danvan.inbox.routes.webhooks:router",
            "danvan.inbox.routes.api:router",
            "danvan.inbox.routes.public:router",
            "danvan.inbox.routes.pages:router",
            "danvan.inbox.routes.actions:router",
            "danvan.inbox.routes.notices:router",
            "danvan.inbox.routes.api_notices:router",
        ),
        cli="danvan.inbox.cli:register",
        seed="danvan.inbox.demo:seed",
        nav=(
            NavLink(
                "nav.inbox",
                "/inbox",
                "inbox",
                10,
                badge="danvan.inbox.conversations:count_unread",
                badge_title="inbox.unread_total",
            ),
            # Notices no channel could carry (danvan.inbox.notices): staff call the citizen.
            NavLink(
                "nav.calls",
                "/inbox/calls",
                "calls",
                15,
                badge="danvan.inbox.calls:count_open",
                badge_title="notices.calls.badge",
                parent="inbox",
            ),
            NavLink(
                "nav.zns",
                "/admin/zns",
                "zns",
                92,
                admin_only=True,
                badge="danvan.inbox.notice_templates:held_count",
                badge_title="notices.zns.badge",
            ),
        ),
    ),
    Area(
        "opinion",
        models="danvan.opinion.models",
        routers=(
            "danvan.opinion.routes.dashboard:router",
            "danvan.opinion.routes.labels:router",
            "danvan.opinion.routes.account:router",
        ),
        jobs="danvan.opinion.jobs:JOBS",
        cli="danvan.opinion.cli:register",
        seed="danvan.opinion.demo:seed",
        nav=(
            NavLink("nav.dashboard", "/dashboard", "dashboard", 30),
            NavLink(
                "nav.review",
                "/analysis/review",
                "review",
                35,
                badge="danvan.opinion.review:remaining_badge",
                badge_title="review.badge",
                parent="dashboard",
            ),
        ),
        panels=("partials/conversation_analysis.html",),
        text="danvan.opinion.alerts",
        on_commune_changed="danvan.opinion.rollups:move_commune",
    ),
    Area(
        "cases",
        models="danvan.cases.models",
        routers=("danvan.cases.routes.pages:router", "danvan.cases.routes.open311:router"),
        jobs="danvan.cases.jobs:JOBS",
        cli="danvan.cases.cli:register",
        seed="danvan.cases.demo:seed",
        nav=(NavLink("nav.cases", "/cases", "cases", 20),),
        panels=("partials/conversation_cases.html",),
        personal_data="danvan.cases.privacy",
        report_sections="danvan.cases.reports:report_figures",
    ),
    Area(
        "outreach",
        models="danvan.outreach.models",
        routers=("danvan.outreach.routes.pages:router",),
        jobs="danvan.outreach.jobs:JOBS",
        seed="danvan.outreach.demo:seed",
        nav=(NavLink("nav.outreach", "/outreach", "outreach", 40),),
        text="danvan.outreach.citizens",
        personal_data="danvan.outreach.citizens",
    ),
    Area(
        "training",
        models="danvan.training.models",
        routers=("danvan.training.routes.api:router",),
        jobs="danvan.training.jobs:JOBS",
        seed="danvan.training.demo:seed",
        nav=(NavLink("nav.training", "/training", "training", 50),),
    ),
)

# Tables that belong to no capability: leases, rate limits (kernel), platform tokens (channels).
KERNEL_MODELS = ("danvan.kernel.models", "danvan.channels.models")


def load(path: str) -> Any:
    """The object a dotted path names: "pkg.module" (the module) or "pkg.module:attribute"."""
    module, _, attribute = path.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


@cache
def load_models() -> None:
    """Import every table, so that the metadata is whole and every mapper can be configured."""
    for name in KERNEL_MODELS:
        load(name)
    for area in AREAS:
        if area.models:
            load(area.models)


def hooked(hook: str) -> Iterator[tuple[Area, Any]]:
    """Each area that fills the single-valued `hook`, with what its dotted path names."""
    for area in AREAS:
        path = getattr(area, hook)
        if path:
            yield area, load(path)


def routers() -> Iterator[Any]:
    for area in AREAS:
        for path in area.routers:
            yield load(path)


def nav_links(*, admin: bool) -> list[NavLink]:
    """The staff menu's links for an admin or not, in menu order."""
    links = [link for area in AREAS for link in area.nav if admin or not link.admin_only]
    return sorted(links, key=lambda link: link.position)


def panels() -> tuple[str, ...]:
    return tuple(p for area in AREAS for p in area.panels)


def template_dirs() -> Iterator[Path]:
    for area in AREAS:
        if area.templates.is_dir():
            yield area.templates
