"""Answering consultations and polls in Zalo as a short conversation that asks what is missing.

A citizen starts with a code, typed or sent by a button of the announcement (`oa.query.show`
sends its payload back as the citizen's own message): "#YK12 2" votes for option 2 of
consultation 12, "#YK12 góp ý" opens an opinion, "#YK12 <text>" opens it with that text, "#TD5 1"
answers poll 5 (on a multiple-choice poll each tap adds an option; "#TD5 1,3" or an option's
words choose again from scratch).

What is missing is asked for, one thing at a time, in a `ConversationFlow` row (one per
citizen, replaced by a new start, ended by "hủy", by closing, or `FLOW_WINDOW` after the last
step):
- the commune, when it is unknown or outside the item's scope: the answer is matched like the
  ask-commune answer (`geo.find_commune_in_text`) and becomes the citizen's commune; the vote,
  poll answer or opinion text given at the start waits in `pending` and is recorded then;
- the opinion itself: the next texts within the window are the opinion. Too short (under
  `MIN_OPINION` characters) asks for more. Texts that follow a stored opinion within the window
  are added to it (people write in several messages); starting again ("Góp ý" or the code)
  replaces it. One opinion per participant and consultation, as for votes.
One vote per person: a vote is recorded under the citizen's shared phone ("phone:84…", see
`participants.participant_for`) when Zalo gave us one. A Zalo OA voter without one is asked,
once per vote, to share it (Zalo's `request_user_info` template, through the outbox; the Zalo Bot
cannot send it); when the `user_submit_info` answer arrives, ingest calls the outreach area's
`on_shared_info`, which calls `on_phone_shared`, which moves their open answers to the phone's
key (`participants.rekey_by_phone`).
Each step is confirmed with what was recorded and how to change it; "hủy" ends the flow and
withdraws an opinion stored during it. After closing, nothing is stored and the citizen is told
so. Every text also stays an ordinary inbound message in the staff inbox (ingest stored it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from danvan.inbox import communes
from danvan.inbox.models import Contact
from danvan.kernel import geo
from danvan.kernel.models import utcnow
from danvan.kernel.text import clean, fold, preview
from danvan.outreach import announcements, codes, consultations, participants, polls
from danvan.outreach import flow_steps as steps
from danvan.outreach.consultations import format_local
from danvan.outreach.flow_steps import CANCEL_HINT, FLOW_WINDOW, Item
from danvan.outreach.models import (
    Consultation,
    ConsultationAnswer,
    ConversationFlow,
    Poll,
)

MIN_OPINION = 10  # characters of an opinion, after normalising
CHANNELS = ("zalo_oa", "zalo_bot")
CANCEL_WORDS = frozenset({"huy", "huy bo", "huy gop y", "cancel"})
# What may follow a consultation's code to open an opinion without giving it yet.
OPEN_WORDS = frozenset({"", "gop y", "y kien", "gopy", "gop y kien"})


def _words(text: str) -> str:
    return fold(text).strip(" .!")


# --- entry point ----------------------------------------------------------------------------


def on_text(
    session: Session,
    *,
    channel: str,
    user_id: str,
    text: str,
    reserved: frozenset[str] = frozenset(),
    now: datetime | None = None,
) -> bool:
    """A citizen's Zalo text: a code starting a flow, or the next step of the citizen's open
    flow. Returns whether the text was taken (answered). `reserved`: whole texts (folded) that
    belong to another handler even inside a flow (e.g. "dừng nhận tin")."""
    if channel not in CHANNELS:
        return False
    text = clean(text)
    if not text:
        return False
    now = now or utcnow()
    code = codes.parse_code(text)
    if code is None:
        found = session.execute(
            select(ConversationFlow, Contact)
            .join(Contact, Contact.id == ConversationFlow.contact_id)
            .where(
                Contact.channel == channel,
                Contact.external_id == user_id,
                ConversationFlow.expires_at > now,
            )
        ).first()
        if found is None:
            return False
        flow, contact = found
        words = _words(text)
        if words in reserved and words not in CANCEL_WORDS:
            return False
        return _continue(session, contact=contact, flow=flow, text=text, now=now)
    starter = session.scalar(
        select(Contact).where(Contact.channel == channel, Contact.external_id == user_id)
    )
    if starter is None:
        return False
    kind, item_id, rest = code
    if kind == "consultation":
        _start_consultation(session, contact=starter, item_id=item_id, rest=rest, now=now)
    else:
        _start_poll(session, contact=starter, item_id=item_id, rest=rest, now=now)
    return True


def any_flow_open(session: Session, now: datetime | None = None) -> bool:
    """Whether any citizen is in the middle of a flow (one indexed read)."""
    found = session.scalar(
        select(ConversationFlow.id).where(ConversationFlow.expires_at > (now or utcnow())).limit(1)
    )
    return found is not None


def on_phone_shared(session: Session, contact: Contact, now: datetime | None = None) -> int:
    """Ingest stored the phone a citizen shared (`user_submit_info`): their answers to open
    consultations count as the phone's from now on. Returns how many were re-keyed."""
    if contact.channel not in CHANNELS:
        return 0
    return participants.rekey_by_phone(session, contact=contact, now=now)


# --- starting -------------------------------------------------------------------------------


def _start_consultation(
    session: Session, *, contact: Contact, item_id: int, rest: str, now: datetime
) -> None:
    code = codes.item_code("consultation", item_id)
    item = session.get(Consultation, item_id)
    if item is None:
        steps.reply(session, contact, f"Không tìm thấy đợt lấy ý kiến có mã {code}.")
        return
    if not steps.still_open(session, contact, item, now):
        return
    if item.kind == "vote":
        index = consultations.match_option(item, rest) if rest else None
        if index is None:
            steps.reply(
                session,
                contact,
                _vote_question(item),
                buttons=_option_buttons(announcements.announcement_buttons(item, base_url="")),
            )
            return
        if not steps.in_scope(contact, item):
            steps.ask_commune(session, contact, item, pending={"option": index}, now=now)
            return
        steps.drop_flow(session, contact)
        steps.record_vote(session, contact, item, index, now)
        return
    opening = "" if fold(rest) in OPEN_WORDS else rest
    if not steps.in_scope(contact, item):
        steps.ask_commune(session, contact, item, pending={"text": opening}, now=now)
        return
    flow = steps.new_flow(session, contact, item, step="opinion", pending={}, now=now)
    if opening:
        _take_opinion(session, contact, flow, item, opening, now)
    else:
        steps.reply(session, contact, _opinion_prompt(item))


def _start_poll(
    session: Session, *, contact: Contact, item_id: int, rest: str, now: datetime
) -> None:
    code = codes.item_code("poll", item_id)
    poll = session.get(Poll, item_id)
    if poll is None:
        steps.reply(session, contact, f"Không tìm thấy thăm dò có mã {code}.")
        return
    if not steps.still_open(session, contact, poll, now):
        return
    choices = polls.parse_choices(poll, rest) if rest else None
    if choices is None:
        lines = [f"Thăm dò “{poll.question}”: bạn chọn phương án nào?"]
        lines.extend(f"{n}. {o} — nhắn: {code} {n}" for n, o in enumerate(poll.options, 1))
        steps.reply(
            session,
            contact,
            "\n".join(lines),
            buttons=_option_buttons(polls.announcement_buttons(poll, base_url="")),
        )
        return
    # One number is what a button sends: on a multiple-choice poll it adds to the answer.
    pending = {"choices": choices, "add": poll.multiple and rest.strip().isdigit()}
    if not steps.in_scope(contact, poll):
        steps.ask_commune(session, contact, poll, pending=pending, now=now)
        return
    steps.drop_flow(session, contact)
    steps.record_poll(session, contact, poll, choices, add=bool(pending["add"]), now=now)


# --- the next step --------------------------------------------------------------------------


def _continue(
    session: Session, *, contact: Contact, flow: ConversationFlow, text: str, now: datetime
) -> bool:
    item: Item | None = (
        session.get(Consultation, flow.consultation_id)
        if flow.consultation_id is not None
        else session.get(Poll, flow.poll_id)
    )
    if item is None:
        steps.drop_flow(session, contact)
        return False
    if _words(text) in CANCEL_WORDS:
        withdrawn = flow.stored and _withdraw_opinion(session, contact, flow)
        steps.drop_flow(session, contact)
        steps.reply(
            session,
            contact,
            "Đã hủy. Ý kiến bạn gửi trong lượt này đã được rút lại."
            if withdrawn
            else "Đã hủy, không có gì được ghi nhận.",
        )
        return True
    if not steps.still_open(session, contact, item, now):
        return True
    if flow.step == "commune":
        if not steps.in_scope(contact, item):
            # Ingest may already have taken a commune from this text if none was known.
            found = geo.find_commune_in_text(text, steps.province(item))
            if found is None:
                flow.expires_at = now + FLOW_WINDOW
                steps.reply(
                    session,
                    contact,
                    "Chưa nhận ra tên xã/phường trong tin của bạn. Bạn vui lòng nhắn tên "
                    f"xã/phường nơi bạn sinh sống, ví dụ “{steps.example(item)}”. {CANCEL_HINT}",
                )
                return True
            if found.code not in (item.commune_codes or []):
                steps.drop_flow(session, contact)
                steps.reply(
                    session,
                    contact,
                    f"{found.name} không thuộc phạm vi {steps.what(item)} (dành cho người dân "
                    f"{steps.scope_names(item)}). Câu trả lời của bạn không được ghi nhận.",
                )
                return True
            _set_commune(session, contact, found.code)
        return _after_commune(session, contact, flow, item, now)
    assert isinstance(item, Consultation)
    return _take_opinion(session, contact, flow, item, text, now)


def _after_commune(
    session: Session, contact: Contact, flow: ConversationFlow, item: Item, now: datetime
) -> bool:
    """The commune is known and in scope: record what waited for it."""
    pending = dict(flow.pending or {})
    if isinstance(item, Poll):
        steps.drop_flow(session, contact)
        choices = [int(c) for c in pending.get("choices", [])]
        steps.record_poll(session, contact, item, choices, add=bool(pending.get("add")), now=now)
        return True
    if item.kind == "vote":
        steps.drop_flow(session, contact)
        steps.record_vote(session, contact, item, int(pending.get("option", -1)), now)
        return True
    flow.step = "opinion"
    flow.pending = {}
    flow.expires_at = now + FLOW_WINDOW
    opening = str(pending.get("text") or "")
    if opening:
        return _take_opinion(session, contact, flow, item, opening, now)
    steps.reply(session, contact, _opinion_prompt(item))
    return True


def _take_opinion(
    session: Session,
    contact: Contact,
    flow: ConversationFlow,
    item: Consultation,
    text: str,
    now: datetime,
) -> bool:
    if len(text) < MIN_OPINION:
        if flow.stored:
            return False  # "ok", "cảm ơn" after the confirmation: an ordinary message
        flow.expires_at = now + FLOW_WINDOW
        steps.reply(
            session,
            contact,
            f"Ý kiến của bạn hơi ngắn. Bạn vui lòng viết rõ hơn (ít nhất {MIN_OPINION} ký tự): "
            f"bạn đồng ý hay không với “{item.title}”, vì sao, và đề xuất gì. {CANCEL_HINT}",
        )
        return True
    opinion = text
    if flow.stored:
        earlier = session.scalar(
            select(ConsultationAnswer.opinion).where(
                ConsultationAnswer.consultation_id == item.id,
                ConsultationAnswer.participant == steps.participant(contact),
            )
        )
        opinion = f"{earlier}\n{text}" if earlier else text
    if len(opinion) > consultations.MAX_OPINION:
        flow.expires_at = now + FLOW_WINDOW
        steps.reply(
            session,
            contact,
            f"Ý kiến tối đa {consultations.MAX_OPINION} ký tự; phần bạn vừa nhắn chưa được ghi "
            "nhận. Bạn vui lòng nhắn ngắn gọn hơn.",
        )
        return True
    consultations.do_answer(
        session,
        consultation=item,
        participant=steps.participant(contact),
        commune_code=contact.commune_code,
        channel=contact.channel,
        opinion=opinion,
        contact_id=contact.id,
        now=now,
    )
    flow.stored = True
    flow.expires_at = now + FLOW_WINDOW
    code = codes.item_code("consultation", item.id)
    minutes = int(FLOW_WINDOW.total_seconds() // 60)
    steps.reply(
        session,
        contact,
        f"Đã ghi nhận ý kiến của bạn về “{item.title}”:\n“{preview(opinion, 160)}”\n"
        f"Trong {minutes} phút tới, tin bạn nhắn thêm sẽ được bổ sung vào ý kiến này. "
        f"Muốn viết lại từ đầu: nhắn {code} kèm ý kiến mới "
        f"(trước {format_local(item.closes_at)}). "
        "Nhắn “hủy” để rút lại ý kiến.",
    )
    return True


# --- helpers --------------------------------------------------------------------------------


def _withdraw_opinion(session: Session, contact: Contact, flow: ConversationFlow) -> bool:
    result = session.execute(
        delete(ConsultationAnswer)
        .where(
            ConsultationAnswer.consultation_id == flow.consultation_id,
            ConsultationAnswer.participant == steps.participant(contact),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _set_commune(session: Session, contact: Contact, code: int) -> None:
    """The citizen named their commune: it becomes theirs (as the ask-commune answer does);
    a conversation without a commune is routed there."""
    communes.move_citizen(
        session, contact=contact, commune_code=code, source="citizen", only_unrouted=True
    )


def _vote_question(item: Consultation) -> str:
    code = codes.item_code("consultation", item.id)
    lines = [f"“{item.title}”: bạn chọn phương án nào?"]
    lines.extend(f"{n}. {o} — nhắn: {code} {n}" for n, o in enumerate(item.options, 1))
    return "\n".join(lines)


def _opinion_prompt(item: Consultation) -> str:
    minutes = int(FLOW_WINDOW.total_seconds() // 60)
    return (
        f"Mời bạn góp ý về “{item.title}”. Hãy nhắn ý kiến của bạn trong {minutes} phút tới "
        f"(tối đa {consultations.MAX_OPINION} ký tự): bạn đồng ý hay không, vì sao, đề xuất gì. "
        f"Hạn chót: {format_local(item.closes_at)}. {CANCEL_HINT}"
    )


def _option_buttons(buttons: list[dict[str, str]]) -> list[dict[str, str]]:
    """The option buttons of an announcement, without its web link (settings, and so the
    deployment's address, are not passed to ingest's text hook)."""
    return [b for b in buttons if b["type"] == "oa.query.show"]


def erase_flows(session: Session, contact: Contact) -> int:
    """Decree 13 erasure: a flow may hold an opinion text waiting for the commune."""
    result = session.execute(
        delete(ConversationFlow)
        .where(ConversationFlow.contact_id == contact.id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
