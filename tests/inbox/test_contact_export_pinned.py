"""The JSON of a citizen's Decree 13 export is a contract with the people who asked for it: its
shape and values are pinned here, with what each capability holds keyed by the capability's name
(ids aside, which depend on the database). A change to the export must change this file too."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from danvan.cases import intake as cases
from danvan.channels.base import EventKind, InboundEvent, SharedInfo
from danvan.inbox import privacy
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, Conversation
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.outreach import citizens as outreach
from danvan.outreach import consultations, polls

if TYPE_CHECKING:
    from tests.conftest import Personas

GOLDEN = Path(__file__).parent / "fixtures" / "contact_export.json"
T0 = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
LAN = "8461000000000000777"
COMMUNE_A = 2302


def _event(kind: EventKind, name: str, at: datetime, **fields: Any) -> InboundEvent:
    payload = {"event_name": name, "timestamp": str(int(at.timestamp() * 1000))}
    return InboundEvent(
        channel="zalo_oa",
        kind=kind,
        event_name=name,
        dedupe_key=f"{name}:{LAN}:{payload['timestamp']}",
        occurred_at=at,
        user_id=LAN,
        raw=json.dumps(payload),
        **fields,
    )


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "<id>" if (k == "id" or k.endswith("_id")) and v is not None else _without_ids(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def test_a_contacts_export_is_unchanged(
    database: Database, settings: Settings, personas: Personas
) -> None:
    officer = personas.officer_a.actor
    with clock.frozen(T0), database.session() as session:
        ingest_events(
            session,
            events=[
                _event(
                    EventKind.MESSAGE,
                    "user_send_text",
                    T0,
                    message_id="m-export-1",
                    text="Tôi ở xã Minh Quang, đường vào thôn Bản bị sạt lở",
                    display_name="Hoàng Thị Lan",
                ),
                _event(
                    EventKind.USER_INFO,
                    "user_submit_info",
                    T0 + timedelta(minutes=1),
                    shared_info=SharedInfo(
                        name="Hoàng Thị Lan", phone="0912345678", address="Thôn Bản"
                    ),
                ),
            ],
            province_code=8,
        )
    with clock.frozen(T0 + timedelta(minutes=5)), database.session() as session:
        contact = session.scalars(select(Contact).where(Contact.external_id == LAN)).one()
        conversation = session.scalars(
            select(Conversation).where(Conversation.contact_id == contact.id)
        ).one()
        cases.do_create_case(
            session,
            actor=officer,
            settings=settings,
            title="Đường vào thôn Bản bị sạt lở",
            category="roads",
            commune_code=COMMUNE_A,
            conversation_id=conversation.id,
            description="",
        )
        outreach.do_update_contact(
            session,
            actor=officer,
            contact=contact,
            province_code=8,
            tags=["hộ nghèo"],
        )
        consultation = consultations.do_create_consultation(
            session,
            actor=officer,
            settings=settings,
            title="Làm đường bê tông thôn Bản",
            summary="Mỗi hộ góp 2 ngày công",
            kind="vote",
            options=["Đồng ý", "Không đồng ý"],
            commune_codes=[COMMUNE_A],
            opens_at=T0,
            closes_at=T0 + timedelta(days=7),
        )
        consultations.do_answer(
            session,
            consultation=consultation,
            participant=f"zalo_oa:{LAN}",
            commune_code=COMMUNE_A,
            channel="zalo_oa",
            option_index=0,
            opinion="Đồng ý, nhưng xin làm sau mùa gặt",
            contact_id=contact.id,
        )
        poll = polls.do_create_poll(
            session,
            actor=officer,
            settings=settings,
            question="Giờ họp thôn nào thuận tiện?",
            options=["Sáng", "Tối"],
            multiple=False,
            commune_codes=[COMMUNE_A],
        )
        polls.do_answer(
            session,
            poll=poll,
            participant=f"zalo_oa:{LAN}",
            commune_code=COMMUNE_A,
            choices=[1],
            channel="zalo_oa",
            contact_id=contact.id,
        )
    with clock.frozen(T0 + timedelta(minutes=10)), database.session() as session:
        contact = session.scalars(select(Contact).where(Contact.external_id == LAN)).one()
        export = privacy.export_contact(session, actor=officer, contact=contact)

    got = json.loads(json.dumps(_without_ids(export), ensure_ascii=False, default=str))
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got == expected
    assert sorted(got["areas"]) == ["cases", "outreach"]
