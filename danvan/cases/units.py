"""What is set up once and used on every case: responsible units and their members, routing
rules (admins), and canned replies (officers and admins)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.cases.intake import check_category, check_commune
from danvan.cases.lifecycle import MAX_ANSWER
from danvan.cases.models import CannedReply, Case, RoutingRule, Unit, UnitMember
from danvan.inbox.conversations import check_text
from danvan.inbox.models import Conversation
from danvan.kernel import geo
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.settings import Settings


def list_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.commune_code.is_(None), Unit.name)))


def do_create_unit(
    session: Session,
    *,
    actor: Actor,
    name: str,
    commune_code: int | None = None,
    head_id: int | None = None,
) -> Unit:
    actor.require_admin()
    name = check_text(name, limit=200, what="Tên đơn vị")
    if session.scalar(select(Unit.id).where(Unit.name == name)) is not None:
        raise Invalid("Đơn vị đã tồn tại", code="exists")
    if commune_code is not None and geo.get_commune(commune_code) is None:
        raise Invalid("Mã xã/phường không hợp lệ", code="commune")
    if head_id is not None and session.get(User, head_id) is None:
        raise Invalid("Không tìm thấy cán bộ", code="head")
    unit = Unit(name=name, commune_code=commune_code, head_id=head_id)
    session.add(unit)
    session.flush()
    if head_id is not None:
        session.add(UnitMember(unit_id=unit.id, user_id=head_id))
    audit.record(
        session, actor=actor, action="case_unit_create", object_type="unit", object_id=unit.id
    )
    return unit


def do_add_member(session: Session, *, actor: Actor, unit_id: int, user_id: int) -> None:
    actor.require_admin()
    if session.get(Unit, unit_id) is None or session.get(User, user_id) is None:
        raise NotFound("Không tìm thấy đơn vị hoặc cán bộ")
    exists = session.scalar(
        select(UnitMember.id).where(UnitMember.unit_id == unit_id, UnitMember.user_id == user_id)
    )
    if exists is None:
        session.add(UnitMember(unit_id=unit_id, user_id=user_id))
    audit.record(
        session,
        actor=actor,
        action="case_unit_member",
        object_type="unit",
        object_id=unit_id,
        detail={"user_id": user_id},
    )


def unit_members(session: Session, *, unit_id: int) -> list[int]:
    return list(session.scalars(select(UnitMember.user_id).where(UnitMember.unit_id == unit_id)))


def do_set_rule(
    session: Session,
    *,
    actor: Actor,
    category: str | None,
    commune_code: int | None,
    unit_id: int | None,
    assignee_id: int | None,
) -> RoutingRule:
    actor.require_admin()
    if category is not None:
        check_category(category)
    check_commune(None, commune_code, required=False)
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise Invalid("Không tìm thấy đơn vị", code="unit")
    if assignee_id is not None and session.get(User, assignee_id) is None:
        raise Invalid("Không tìm thấy cán bộ", code="assignee")
    rule = session.scalar(
        select(RoutingRule).where(
            RoutingRule.category.is_(None)
            if category is None
            else RoutingRule.category == category,
            RoutingRule.commune_code.is_(None)
            if commune_code is None
            else RoutingRule.commune_code == commune_code,
        )
    )
    if rule is None:
        rule = RoutingRule(category=category, commune_code=commune_code)
        session.add(rule)
    rule.unit_id = unit_id
    rule.assignee_id = assignee_id
    session.flush()
    audit.record(session, actor=actor, action="case_rule", object_type="rule", object_id=rule.id)
    return rule


def list_rules(session: Session) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.id)))


def list_canned(session: Session) -> list[CannedReply]:
    return list(session.scalars(select(CannedReply).order_by(CannedReply.title)))


def do_create_canned(session: Session, *, actor: Actor, title: str, text: str) -> CannedReply:
    actor.require_write()
    title = check_text(title, limit=200, what="Tên mẫu")
    text = check_text(text, limit=MAX_ANSWER, what="Nội dung mẫu")
    if session.scalar(select(CannedReply.id).where(CannedReply.title == title)) is not None:
        raise Invalid("Mẫu trả lời đã tồn tại", code="exists")
    reply = CannedReply(title=title, text=text)
    session.add(reply)
    session.flush()
    audit.record(
        session, actor=actor, action="case_canned", object_type="canned", object_id=reply.id
    )
    return reply


CANNED_VARIABLES = ("ten", "ma", "xa", "han")


def fill_canned(session: Session, *, settings: Settings, text: str, case: Case) -> str:
    """`{ten}` citizen's name, `{ma}` case code, `{xa}` commune, `{han}` due date; other braces
    are left as they are (staff text is never evaluated)."""
    from zoneinfo import ZoneInfo

    name = ""
    if case.conversation_id is not None:
        conversation = session.get(Conversation, case.conversation_id)
        if conversation is not None:
            name = conversation.contact.display_name
    values = {
        "ten": name or "ông/bà",
        "ma": case.code,
        "xa": geo.commune_name(case.commune_code),
        "han": f"{case.due_at.astimezone(ZoneInfo(settings.timezone)):%d/%m/%Y}",
    }
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
