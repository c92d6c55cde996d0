"""The figures of consultations and polls are right wherever they are shown (issue 14): turnout
is the share of a commune's resident list that answered (never the answers from anyone over the
list, so never above 100 %), a commune without a list shows counts and no percentage, poll
counts appear on the public and staff pages, decimals take a comma in Vietnamese, and the
figures beside the results count the same communes as the results."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document

from danvan.inbox.models import Contact
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach import consultations, polls
from danvan.outreach.models import Consultation, Resident
from danvan.outreach.participants import participant_for

from .conftest import COMMUNE_A, COMMUNE_B, answer_with_slip, issue_slips


def _vote(database: Database, personas, settings: Settings, *, closes_in: timedelta) -> int:
    """A vote in communes A and B. Commune A lists 12 residents (one with a phone); 7 of them
    answer with their slip, and 35 Zalo followers answer too (none listed, one the listed
    phone); commune B has no list and 6 Zalo answers."""
    now = utcnow()
    with database.session() as session:
        item = consultations.do_create_consultation(
            session,
            actor=personas.admin.actor,
            settings=settings,
            title="Chọn vị trí xây nhà văn hoá",
            summary="",
            kind="vote",
            options=["Gần trường", "Cạnh chợ"],
            commune_codes=[COMMUNE_A, COMMUNE_B],
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
        )
        for n in range(12):
            session.add(
                Resident(
                    commune_code=COMMUNE_A,
                    code=f"MQ-{n:03d}",
                    full_name=f"Người dân {n}",
                    phone="0912345678" if n == 11 else None,
                )
            )
        for n in range(35):
            consultations.do_answer(
                session,
                consultation=item,
                participant=f"zalo_oa:a-{n}",
                commune_code=COMMUNE_A,
                channel="zalo_oa",
                option_index=n % 2,
            )
        # The listed resident with a phone answers in Zalo, known by that phone.
        consultations.do_answer(
            session,
            consultation=item,
            participant="phone:84912345678",
            commune_code=COMMUNE_A,
            channel="zalo_oa",
            option_index=0,
        )
        for n in range(6):
            consultations.do_answer(
                session,
                consultation=item,
                participant=f"zalo_oa:b-{n}",
                commune_code=COMMUNE_B,
                channel="zalo_oa",
                option_index=1,
            )
        consultation_id = item.id
    codes = issue_slips(database, settings, personas.admin.actor, COMMUNE_A)
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        assert item is not None
        for n in range(6):
            answer_with_slip(
                session, settings, item, commune=COMMUNE_A, code=codes[f"MQ-{n:03d}"], option=0
            )
        item.closes_at = utcnow() + closes_in
    return consultation_id


def test_turnout_is_the_share_of_the_list_that_answered_never_above_100(
    database: Database, personas, settings: Settings
) -> None:
    consultation_id = _vote(database, personas, settings, closes_in=timedelta(days=1))
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        assert item is not None
        result = consultations.results(session, consultation=item)
    rows = {r["commune_code"]: r for r in result["by_commune"]}
    a, b = rows[COMMUNE_A], rows[COMMUNE_B]
    # 42 answered in commune A (35 + the phone + 6 slips), 7 of them from its list of 12.
    assert a["participants"] == 42
    assert a["residents_listed"] == 12
    assert a["listed_answered"] == 7
    assert a["turnout"] == round(7 / 12, 4)  # not 42 / 12 = 350 %
    # Commune B has no list: counts, no percentage.
    assert b["participants"] == 6
    assert b["residents_listed"] == 0
    assert b["turnout"] is None


def test_the_staff_page_public_page_and_minutes_show_the_same_turnout(
    database: Database, personas, settings: Settings, signed_in, client
) -> None:
    consultation_id = _vote(database, personas, settings, closes_in=-timedelta(minutes=1))
    admin = signed_in(personas.admin)
    page = admin.get(f"/outreach/consultations/{consultation_id}").text
    assert "58,3%" in page  # 7 / 12, with the Vietnamese decimal comma
    assert "7/12 người trong danh sách" in page
    assert "350" not in page
    assert "341" not in page
    assert "chưa có danh sách" in page  # commune B: counts only
    public = client.get(f"/y-kien/{consultation_id}").text
    assert "58,3%" in public
    assert "350" not in public
    minutes = admin.get(f"/outreach/consultations/{consultation_id}/bien-ban.docx")
    assert minutes.status_code == 200
    # The first tables hold the Decree 30 heading; the outcome is the one headed "Xã".
    tables = Document(io.BytesIO(minutes.content)).tables
    table = next(t for t in tables if t.rows[0].cells[0].text == "Xã")
    cells = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}
    assert cells["Xã Minh Quang"][1:5] == ["42", "12", "7", "58,3%"]
    assert cells["Xã Thượng Lâm"][1:5] == ["6", "—", "—", "—"]


def test_a_small_listed_turnout_is_not_published(
    database: Database, personas, settings: Settings, client
) -> None:
    """Public pages hide a turnout that would tell how many of the list (under 5) answered."""
    now = utcnow()
    with database.session() as session:
        item = consultations.do_create_consultation(
            session,
            actor=personas.admin.actor,
            settings=settings,
            title="Biểu quyết nhỏ",
            summary="",
            kind="vote",
            options=["Có", "Không"],
            commune_codes=[COMMUNE_A],
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
        )
        for n in range(10):
            session.add(Resident(commune_code=COMMUNE_A, code=f"R{n}", full_name=f"Người {n}"))
        for n in range(8):
            consultations.do_answer(
                session,
                consultation=item,
                participant=f"zalo_oa:s-{n}",
                commune_code=COMMUNE_A,
                channel="zalo_oa",
                option_index=0,
            )
        session.flush()
        public = consultations.results(session, consultation=item, public=True)
    row = public["by_commune"][0]
    assert row["participants"] == 8
    assert row["turnout"] is None
    assert row["listed_answered"] is None


def test_poll_counts_show_on_the_public_and_staff_pages(
    database: Database, personas, settings: Settings, signed_in, client
) -> None:
    with database.session() as session:
        poll = polls.do_create_poll(
            session,
            actor=personas.admin.actor,
            settings=settings,
            question="Họp dân vào lúc nào?",
            options=["Sáng Chủ nhật", "Tối thứ Sáu"],
            multiple=False,
            commune_codes=[COMMUNE_A, COMMUNE_B],
        )
        for n in range(13):
            polls.do_answer(
                session,
                poll=poll,
                participant=f"web:p-{n}",
                commune_code=COMMUNE_A if n < 7 else COMMUNE_B,
                choices=[n % 2],
                channel="web",
            )
        poll_id = poll.id
    for html in (
        client.get(f"/tham-do/{poll_id}").text,
        signed_in(personas.admin).get(f"/outreach/polls/{poll_id}").text,
    ):
        rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert "<td>Xã Minh Quang</td>\n      <td>7</td>" in rows
        assert "<td>Xã Thượng Lâm</td>\n      <td>6</td>" in rows
        assert "<strong>13</strong>" in html


def test_the_results_plan_counts_the_officers_communes_like_the_results(
    database: Database, personas, settings: Settings, signed_in, follow
) -> None:
    """An officer of commune A sees the results of A only; the plan of how the results will
    reach the participants counts A's participants, not every commune's."""
    now = utcnow()
    contacts = {}
    for n, commune in enumerate([COMMUNE_A] * 2 + [COMMUNE_B] * 3):
        contacts[n] = follow(f"plan-{n}", commune=commune)
    with database.session() as session:
        item = consultations.do_create_consultation(
            session,
            actor=personas.admin.actor,
            settings=settings,
            title="Quy ước thôn",
            summary="",
            kind="vote",
            options=["Đồng ý", "Không đồng ý"],
            commune_codes=[COMMUNE_A, COMMUNE_B],
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
        )
        for contact_id in contacts.values():
            contact = session.get(Contact, contact_id)
            assert contact is not None
            consultations.do_answer(
                session,
                consultation=item,
                participant=participant_for(contact),
                commune_code=contact.commune_code,
                channel="zalo_oa",
                option_index=0,
                contact_id=contact.id,
            )
        consultation_id = item.id
        whole = consultations.results_estimate(session, settings=settings, consultation=item)
        mine = consultations.results_estimate(
            session, settings=settings, consultation=item, communes=[COMMUNE_A]
        )
    assert sum(whole.carriers.values()) == 5
    assert sum(mine.carriers.values()) == 2
    page = signed_in(personas.officer_a).get(f"/outreach/consultations/{consultation_id}").text
    plan = page.split('class="results-plan">', 1)[1].split("<br>", 1)[0]
    assert ": 2" in plan
    assert ": 5" not in plan
