"""The one list of danvan's capabilities and what each plugs into the product.

A newcomer reads this file to know where everything lives: each `Area` is one package
(`danvan/<name>/`) holding its tables, logic, routes, jobs, CLI, demo data and templates. The
kernel knows the areas only as dotted paths, loaded when first needed, so that importing the
kernel (or taking a webhook) never imports a capability, nor the NLP stack behind one.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Area:
    # The area's name: its package under danvan/, and the key of what it holds in a citizen's
    # data export (Decree 13).
    name: str
    # The module holding its tables (registered on kernel.models.Base when imported).
    models: str | None = None
    # A module holding citizen data besides the inbox's, providing
    #   export_contact_data(session, contact) -> dict[str, Any]  (JSON-ready, for the export)
    #   erase_contact_data(session, contact) -> dict[str, int]   (erases; counts, never data)
    # Every table holding citizen text or identity must be covered by one of them.
    personal_data: str | None = None

    @property
    def package(self) -> str:
        return f"danvan.{self.name}"

    @property
    def templates(self) -> Path:
        return Path(__file__).resolve().parent.parent / self.name / "templates"


# In layer order: each area may use those above it, never those below (see ARCHITECTURE.md).
AREAS: tuple[Area, ...] = (
    Area("accounts", models="danvan.accounts.models"),
    Area("inbox", models="danvan.inbox.models"),
    Area("opinion", models="danvan.opinion.models"),
    Area("cases", models="danvan.cases.models", personal_data="danvan.cases.privacy"),
    Area(
        "outreach",
        models="danvan.outreach.models",
        personal_data="danvan.outreach.citizens",
    ),
    Area("training", models="danvan.training.models"),
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
    """Each area that fills `hook`, with what the hook's dotted path names (loaded now)."""
    for area in AREAS:
        path = getattr(area, hook)
        if path:
            yield area, load(path)


def template_dirs() -> Iterator[Path]:
    for area in AREAS:
        if area.templates.is_dir():
            yield area.templates
