"""A worker killed between sending and recording never causes a second send and never loses a
reply: the next worker reconciles the row through Zalo's conversation history first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from outbox_helpers import CITIZEN, delivered
from sqlalchemy import select, update

from danvan.accounts.models import AuditEntry
from danvan.channels.base import OutboundMessage, SendStatus
from danvan.channels.registry import build_senders
from danvan.devtools.zalo_standin.protocol import BOT_SEND, CONVERSATION, MESSAGE_CS
from danvan.devtools.zalo_standin.state import StandinState
from danvan.inbox.delivery import UNCERTAIN_REASON, Claim, claim_due, record_part, retry_uncertain
from danvan.inbox.models import Message, OutboxItem
from danvan.inbox.worker import run
from danvan.kernel.db import Database, supports_skip_locked
from danvan.kernel.errors import Forbidden, Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import split_text


def crash_mid_send(
    database: Database, settings: Settings, *, send: bool, parts_recorded: int = 0
) -> Claim:
    """What a worker does up to the moment it is killed: claim (committed), maybe record some
    parts, maybe send the next one; then nothing more, and its lease runs out."""
    senders = build_senders(settings, database)
    try:
        with database.session() as session:
            [claim] = claim_due(
                session,
                worker="dead-worker",
                limit=10,
                skip_locked=supports_skip_locked(database.engine),
            )
        sender = senders[claim.channel]
        parts = split_text(claim.text, sender.max_text)
        for index in range(parts_recorded):
            result = sender.send(OutboundMessage(claim.recipient, parts[index], f"k{index}"))
            with database.session() as session:
                record_part(session, claim=claim, platform_message_id=result.platform_message_id)
        if send:
            result = sender.send(
                OutboundMessage(claim.recipient, parts[parts_recorded], claim.idempotency_key)
            )
            assert result.status == SendStatus.SENT
    finally:
        for sender in senders.values():
            sender.close()
    with database.session() as session:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == claim.outbox_id)
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
    return claim


def test_a_reply_sent_just_before_the_crash_is_reconciled_and_not_sent_again(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    message_id = make_reply("Xã sẽ cử cán bộ xuống kiểm tra trong tuần này.")
    crash_mid_send(database, settings, send=True)
    [received] = zalo.messages(CITIZEN)

    assert run(database, settings, once=True) == 1

    [history] = zalo.requests_to(CONVERSATION)
    assert history.query["data"]
    assert '"user_id": "8421000000001"' in history.query["data"]
    assert len(zalo.requests_to(MESSAGE_CS)) == 1  # the one sent before the crash
    assert len(zalo.messages(CITIZEN)) == 1
    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("sent", "sent")
    assert state.message.external_id == received.message_id
    assert [a.outcome for a in state.attempts] == ["reconciled"]
    assert state.item.claimed_by is None


def test_a_reply_not_sent_before_the_crash_is_sent_exactly_once(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    message_id = make_reply()
    crash_mid_send(database, settings, send=False)

    assert run(database, settings, once=True) == 1

    assert len(zalo.requests_to(CONVERSATION)) == 1
    assert len(zalo.requests_to(MESSAGE_CS)) == 1
    assert len(zalo.messages(CITIZEN)) == 1
    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("sent", "sent")
    assert [a.outcome for a in state.attempts] == ["crashed", "sent"]


def test_an_identical_earlier_reply_is_not_mistaken_for_the_crashed_one(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    first = make_reply("Cảm ơn bạn.")
    run(database, settings, once=True)
    second = make_reply("Cảm ơn bạn.")
    crash_mid_send(database, settings, send=False)

    run(database, settings, once=True)

    one, two = zalo.messages(CITIZEN)
    assert delivered(database, first).message.external_id == one.message_id
    assert delivered(database, second).message.external_id == two.message_id


def test_when_the_history_cannot_be_read_the_reply_is_uncertain_and_never_resent_alone(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    message_id = make_reply()
    crash_mid_send(database, settings, send=True)
    zalo.script(CONVERSATION, status=500)

    assert run(database, settings, once=True) == 1
    assert run(database, settings, once=True) == 0

    assert len(zalo.requests_to(MESSAGE_CS)) == 1
    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("uncertain", "uncertain")
    assert state.message.delivery_error == UNCERTAIN_REASON
    assert [a.outcome for a in state.attempts] == ["crashed"]


def test_a_bot_reply_interrupted_mid_send_is_uncertain_because_the_bot_api_has_no_history(
    database: Database, settings: Settings, zalo: StandinState, make_reply
) -> None:
    message_id = make_reply(channel="zalo_bot", user_id="chat-9")
    crash_mid_send(database, settings, send=True)

    assert run(database, settings, once=True) == 1

    assert len(zalo.requests_to(BOT_SEND)) == 1
    state = delivered(database, message_id)
    assert state.message.delivery_status == "uncertain"
    assert state.message.delivery_error == UNCERTAIN_REASON


def test_staff_can_resend_an_uncertain_reply_deliberately(
    database: Database,
    settings: Settings,
    zalo: StandinState,
    make_reply,
    personas,
) -> None:
    message_id = make_reply(channel="zalo_bot", user_id="chat-9")
    crash_mid_send(database, settings, send=True)
    run(database, settings, once=True)

    with database.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        retry_uncertain(session, actor=personas.officer_a.actor, message=message)
    run(database, settings, once=True)

    assert len(zalo.requests_to(BOT_SEND)) == 2  # staff chose to send it again
    state = delivered(database, message_id)
    assert (state.item.status, state.message.delivery_status) == ("sent", "sent")
    with database.session() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "resend"))
        assert entry.actor_id == personas.officer_a.user.id
        assert entry.object_id == str(message_id)
        assert entry.detail["from"] == "uncertain"


def test_only_staff_of_the_commune_may_resend_and_only_uncertain_or_failed_replies(
    database: Database,
    settings: Settings,
    zalo: StandinState,
    make_reply,
    personas,
) -> None:
    message_id = make_reply(channel="zalo_bot", user_id="chat-9")
    with database.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        with pytest.raises(Invalid):  # queued, not uncertain
            retry_uncertain(session, actor=personas.officer_a.actor, message=message)
    crash_mid_send(database, settings, send=True)
    run(database, settings, once=True)

    with database.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        with pytest.raises(NotFound):
            retry_uncertain(session, actor=personas.officer_b.actor, message=message)
        with pytest.raises(Forbidden):
            retry_uncertain(session, actor=personas.viewer_a.actor, message=message)
    assert delivered(database, message_id).item.status == "uncertain"


def test_a_crash_after_the_first_part_resumes_with_the_second_without_repeating_the_first(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    text = ("Đoạn thứ nhất của thông báo. " * 60).strip() + "\n\n" + "Đoạn thứ hai. " * 20
    message_id = make_reply(text)
    crash_mid_send(database, settings, send=True, parts_recorded=1)
    part_one, part_two = zalo.messages(CITIZEN)

    run(database, settings, once=True)

    assert len(zalo.requests_to(MESSAGE_CS)) == 2
    state = delivered(database, message_id)
    assert (state.item.status, state.item.parts_sent) == ("sent", 2)
    assert state.item.platform_message_ids == [part_one.message_id, part_two.message_id]
    assert state.message.external_id == part_one.message_id


def test_a_row_whose_worker_still_holds_its_lease_is_left_alone(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    message_id = make_reply()
    with database.session() as session:
        claim_due(
            session,
            worker="alive-worker",
            limit=10,
            skip_locked=supports_skip_locked(database.engine),
        )

    assert run(database, settings, once=True) == 0

    assert zalo.requests == []
    state = delivered(database, message_id)
    assert (state.item.status, state.item.claimed_by) == ("sending", "alive-worker")


def test_a_crash_after_sending_the_first_of_three_parts_goes_on_with_the_other_two(
    database: Database, settings: Settings, zalo: StandinState, oa_tokens: object, make_reply
) -> None:
    paragraphs = [(f"Phần {n} của thông báo. " * 80).strip() for n in (1, 2, 3)]
    message_id = make_reply("\n\n".join(paragraphs))
    crash_mid_send(database, settings, send=True)  # part 1 accepted, nothing recorded

    run(database, settings, once=True)

    assert [m.text for m in zalo.messages(CITIZEN)] == paragraphs
    assert len(zalo.requests_to(MESSAGE_CS)) == 3
    state = delivered(database, message_id)
    assert (state.item.status, state.item.parts_sent) == ("sent", 3)
    assert [a.outcome for a in state.attempts] == ["reconciled", "sent"]
    assert state.message.external_id == zalo.messages(CITIZEN)[0].message_id
