"""Voting slips on a consultation's web page (/y-kien/{id}): codes danvan generates (random,
printable, stored as a keyed hash), wrong codes limited per client and per consultation, and a
changed vote shown to the resident, confirmed and audited."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from danvan.accounts.models import AuditEntry
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach import consultations, slips
from danvan.outreach.models import Consultation, ConsultationAnswer, Resident

from .conftest import COMMUNE_A, COMMUNE_B, answer_with_slip, issue_slips

SLIP = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$")


def _consultation(database: Database, personas, settings: Settings) -> int:
    now = utcnow()
    with database.session() as session:
        return consultations.do_create_consultation(
            session,
            actor=personas.admin.actor,
            settings=settings,
            title="Chọn vị trí nhà văn hoá",
            summary="",
            kind="vote",
            options=["Gần trường", "Cạnh chợ"],
            commune_codes=[COMMUNE_A, COMMUNE_B],
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
        ).id


def _listed(database: Database, commune: int, *refs: str) -> None:
    with database.session() as session:
        for ref in refs:
            session.add(Resident(commune_code=commune, code=ref, full_name=f"Cử tri {ref}"))


def _post(client: TestClient, consultation_id: int, **fields: str) -> object:
    page = client.get(f"/y-kien/{consultation_id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return client.post(f"/y-kien/{consultation_id}", data={"csrf_token": token, **fields})


def test_slip_codes_are_random_printable_and_stored_only_as_a_keyed_hash(
    database: Database, personas, settings: Settings
) -> None:
    assert slips.LENGTH * 5 >= 40  # bits of entropy
    _listed(database, COMMUNE_A, *(f"MQ-{n:04d}" for n in range(1, 41)))
    codes = issue_slips(database, settings, personas.admin.actor, COMMUNE_A)
    assert len(codes) == 40
    assert all(SLIP.match(code) for code in codes.values())
    assert len(set(codes.values())) == 40
    consultation_id = _consultation(database, personas, settings)
    with database.session() as session:
        rows = session.scalars(select(Resident)).all()
        stored = " ".join(f"{r.code} {r.code_hash}" for r in rows)
        item = session.get(Consultation, consultation_id)
        # Typing is forgiving: case, spaces and dashes, O for 0, I and L for 1.
        code = codes["MQ-0001"]
        typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
        answered = answer_with_slip(
            session, settings, item, commune=COMMUNE_A, code=typed, option=0
        )
        assert answered.answer is not None
    for code in codes.values():
        assert code not in stored
        assert code.replace("-", "") not in stored
    # Already issued: issuing again without "again" gives nobody a new code.
    assert issue_slips(database, settings, personas.admin.actor, COMMUNE_A) == {}


def test_a_commune_list_code_is_not_a_slip_and_reissued_slips_void_the_old_ones(
    database: Database, personas, settings: Settings
) -> None:
    consultation_id = _consultation(database, personas, settings)
    _listed(database, COMMUNE_A, "MQ-0001", "MQ-0002")
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        with pytest.raises(Invalid, match="Mã phiếu không đúng"):  # sequential, guessable
            answer_with_slip(session, settings, item, commune=COMMUNE_A, code="MQ-0001", option=0)
    old = issue_slips(database, settings, personas.admin.actor, COMMUNE_A)["MQ-0001"]
    with database.session() as session:
        new = dict(
            (r.code, code)
            for r, code in slips.do_issue(
                session,
                actor=personas.admin.actor,
                settings=settings,
                commune_code=COMMUNE_A,
                again=True,
            )
        )["MQ-0001"]
    with database.session() as session:
        item = session.get(Consultation, consultation_id)
        with pytest.raises(Invalid, match="Mã phiếu không đúng"):
            answer_with_slip(session, settings, item, commune=COMMUNE_A, code=old, option=0)
        # A slip of commune A does not vote as commune B.
        with pytest.raises(Invalid, match="Mã phiếu không đúng"):
            answer_with_slip(session, settings, item, commune=COMMUNE_B, code=new, option=0)
        assert answer_with_slip(session, settings, item, commune=COMMUNE_A, code=new, option=0)


def test_wrong_codes_are_limited_per_client_with_a_clear_message(
    app: FastAPI, database: Database, personas, settings: Settings
) -> None:
    consultation_id = _consultation(database, personas, settings)
    _listed(database, COMMUNE_A, "MQ-0001")
    [right] = issue_slips(database, settings, personas.admin.actor, COMMUNE_A).values()
    vote = {"commune": str(COMMUNE_A), "option": "0"}
    with TestClient(app, client=("203.0.113.5", 40000)) as guesser:
        statuses = [
            _post(guesser, consultation_id, code=f"AAAA-AAAA-{n:02d}", **vote).status_code  # type: ignore[attr-defined]
            for n in range(slips.WRONG_PER_CLIENT)
        ]
        assert statuses == [422] * slips.WRONG_PER_CLIENT
        refused = _post(guesser, consultation_id, code=right, **vote)
        assert refused.status_code == 429  # type: ignore[attr-defined]
        assert "nhập sai mã phiếu quá nhiều lần" in refused.text  # type: ignore[attr-defined]
        assert "30 phút" in refused.text  # type: ignore[attr-defined]
    with TestClient(app, client=("198.51.100.20", 40000)) as resident:
        assert _post(resident, consultation_id, code=right, **vote).status_code == 200  # type: ignore[attr-defined]
    with database.session() as session:
        assert session.scalar(select(ConsultationAnswer.option_index)) == 0


def test_wrong_codes_are_limited_per_consultation_across_clients(
    app: FastAPI, database: Database, personas, settings: Settings, monkeypatch
) -> None:
    monkeypatch.setattr(slips, "WRONG_PER_CONSULTATION", 5)
    consultation_id = _consultation(database, personas, settings)
    _listed(database, COMMUNE_A, "MQ-0001")
    [right] = issue_slips(database, settings, personas.admin.actor, COMMUNE_A).values()
    vote = {"commune": str(COMMUNE_A), "option": "0"}
    for n in range(5):  # one wrong guess from each of five networks
        with TestClient(app, client=(f"192.0.2.{n + 1}", 40000)) as guesser:
            assert _post(guesser, consultation_id, code="ZZZZ-ZZZZ-ZZ", **vote).status_code == 422  # type: ignore[attr-defined]
    with TestClient(app, client=("198.51.100.20", 40000)) as resident:
        refused = _post(resident, consultation_id, code=right, **vote)
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert "quá nhiều lần" in refused.text  # type: ignore[attr-defined]


def test_a_changed_vote_is_shown_confirmed_and_audited(
    client: TestClient, database: Database, personas, settings: Settings
) -> None:
    consultation_id = _consultation(database, personas, settings)
    _listed(database, COMMUNE_A, "MQ-0001")
    [code] = issue_slips(database, settings, personas.admin.actor, COMMUNE_A).values()

    def counts() -> list[int]:
        with database.session() as session:
            item = session.get(Consultation, consultation_id)
            result = consultations.results(session, consultation=item)
            return [o["count"] for o in result["options"]]

    first = _post(client, consultation_id, commune=str(COMMUNE_A), code=code, option="0")
    assert "Đã ghi nhận" in first.text  # type: ignore[attr-defined]
    same = _post(client, consultation_id, commune=str(COMMUNE_A), code=code, option="0")
    assert "Đã ghi nhận" in same.text  # type: ignore[attr-defined]  # nothing to change
    asked = _post(client, consultation_id, commune=str(COMMUNE_A), code=code, option="1")
    assert asked.status_code == 200  # type: ignore[attr-defined]
    assert "Bạn đã biểu quyết “Gần trường” lúc" in asked.text  # type: ignore[attr-defined]
    assert "Gửi lại sẽ thay đổi phiếu của bạn" in asked.text  # type: ignore[attr-defined]
    assert 'name="confirm" value="1"' in asked.text  # type: ignore[attr-defined]
    assert counts() == [1, 0]  # not changed yet
    changed = _post(
        client, consultation_id, commune=str(COMMUNE_A), code=code, option="1", confirm="1"
    )
    assert "Đã thay đổi phiếu của bạn" in changed.text  # type: ignore[attr-defined]
    assert counts() == [0, 1]
    with database.session() as session:
        resident_id = session.scalar(select(Resident.id))
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "consultation_answer_change")
        ).all()
    [entry] = entries
    assert entry.object_id == str(consultation_id)
    assert entry.detail["resident_id"] == resident_id
    assert entry.detail["changed"] == ["option"]
    assert entry.detail["earlier_channel"] == "web"
    # Who and what changed, not how they voted.
    assert not {"option_index", "option", "before", "after"} & set(entry.detail)
    assert "Gần trường" not in str(entry.detail)
    assert "Cạnh chợ" not in str(entry.detail)


def test_staff_issue_slips_from_the_consultation_page_and_the_codes_vote(
    client: TestClient, database: Database, personas, settings: Settings, signed_in
) -> None:
    consultation_id = _consultation(database, personas, settings)
    _listed(database, COMMUNE_A, "MQ-0001", "MQ-0002")
    url = f"/outreach/consultations/{consultation_id}/residents/slips"
    # Officer B sees the consultation (it reaches B) but not commune A's list.
    assert signed_in(personas.officer_b).post(url, {"commune": str(COMMUNE_A)}).status_code == 422
    assert signed_in(personas.viewer_a).post(url, {"commune": str(COMMUNE_A)}).status_code == 403
    officer = signed_in(personas.officer_a)
    page = officer.get(f"/outreach/consultations/{consultation_id}")
    assert "Cấp mã phiếu" in page.text
    answer = officer.post(url, {"commune": str(COMMUNE_A)})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    rows = list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))
    assert rows[1] == ("STT/Mã trong danh sách", "Họ tên", "Mã phiếu")
    slips_by_ref = {ref: code for ref, _name, code in rows[2:]}
    assert set(slips_by_ref) == {"MQ-0001", "MQ-0002"}
    assert all(SLIP.match(code) for code in slips_by_ref.values())
    other_commune = officer.post(url, {"commune": str(COMMUNE_B)})
    assert other_commune.status_code == 422
    voted = _post(
        client, consultation_id, commune=str(COMMUNE_A), code=slips_by_ref["MQ-0002"], option="1"
    )
    assert voted.status_code == 200  # type: ignore[attr-defined]
    with database.session() as session:
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "resident_slips_issue")
        ).all()
    assert entry.detail == {"issued": 2, "again": False}


def test_the_demo_issues_its_slips_with_the_same_generator(
    database: Database, settings: Settings
) -> None:
    from danvan.demo.seed import seed

    with database.session() as session:
        seed(session, settings=settings)
    with database.session() as session:
        listed = session.scalars(select(Resident)).all()
        assert listed
        assert all(r.code_hash and len(r.code_hash) == 64 for r in listed)
        assert all(r.code_hash != r.code for r in listed)
        web = session.scalars(
            select(ConsultationAnswer).where(ConsultationAnswer.resident_id.is_not(None))
        ).all()
        assert len(web) == 7
        item = session.get(Consultation, web[0].consultation_id)
        with pytest.raises(Invalid, match="Mã phiếu không đúng"):
            answer_with_slip(
                session, settings, item, commune=listed[0].commune_code, code="MQ-0001", option=0
            )
