"""The demo's template messages (issue 15): once the Zalo stand-in runs, read its templates
through the same sync an admin runs (`danvan zalo templates sync`), map each notice kind to the
stand-in's template for it, show the stand-in when the demo's citizens last interacted (so it
keeps Zalo's 48 h / 7 day windows for them), and post its delivery receipts back to danvan."""

from __future__ import annotations

import json
import logging

import httpx
from sqlalchemy import select

from danvan.channels.zalo_oa.signature import sign
from danvan.channels.zalo_zns.catalog import CatalogError
from danvan.devtools.zalo_standin.state import StandinState
from danvan.inbox import notice_templates
from danvan.inbox.models import Contact, NoticeTemplate
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings

log = logging.getLogger("danvan.demo")

# Notice kind -> (stand-in template, its parameters -> notice fields); see
# danvan.devtools.zalo_standin.protocol.ZNS_TEMPLATES. Training reminders stay unmapped: the
# stand-in's template is still pending review, which the admin page reports.
MAPPINGS = {
    "case_received": ("301001", {"ma_phan_anh": "case_code", "han_tra_loi": "due_date"}),
    "case_answered": (
        "301002",
        {"ma_phan_anh": "case_code", "trang_thai": "status", "tra_cuu": "lookup_url"},
    ),
    "case_needs_info": ("301003", {"ma_phan_anh": "case_code", "noi_dung": "request"}),
    "case_updated": (
        "301004",
        {"ma_phan_anh": "case_code", "trang_thai": "status", "ly_do": "reason"},
    ),
    "consultation_result": ("301005", {"ten_dot": "title", "xem_ket_qua": "result_url"}),
}


def set_up(database: Database, settings: Settings, state: StandinState) -> None:
    try:
        notice_templates.sync_from_zalo(database, settings, user_id=None, via="cli")
        with database.session() as session:
            for kind, (template_id, params) in MAPPINGS.items():
                if session.get(NoticeTemplate, kind) is None:
                    notice_templates.do_map_kind(
                        session, actor=None, kind=kind, template_id=template_id, params=params
                    )
    except CatalogError as exc:
        log.warning("demo: template messages not set up: %s", exc)
    with database.session() as session:
        for user_id, at in session.execute(
            select(Contact.external_id, Contact.last_interaction_at).where(
                Contact.channel == "zalo_oa"
            )
        ):
            state.interact(user_id, int(at.timestamp() * 1000))


def post_receipts(state: StandinState, *, webhook_url: str, app_id: str, oa_secret: str) -> None:
    """The stand-in posts each template message's receipt to danvan's OA webhook, as Zalo does
    (signed, `X-ZEvent-Server: ZNS`)."""

    def sink(receipt: dict[str, object]) -> None:
        timestamp = str(receipt["timestamp"])
        body = json.dumps(
            {"app_id": app_id, **receipt}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        try:
            httpx.post(
                webhook_url,
                content=body,
                headers={
                    "content-type": "application/json",
                    "x-zevent-signature": sign(app_id, body, timestamp, oa_secret),
                    "x-zevent-server": "ZNS",
                },
                timeout=10,
            )
        except httpx.HTTPError as exc:
            log.warning("demo: a ZNS receipt was not delivered: %s", exc)

    with state.lock:
        state.receipt_sink = sink
