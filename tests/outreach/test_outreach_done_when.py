"""Issue 5's "Done when", through the API and the worker to the Zalo stand-in.

With followers known in two communes, a broadcast to commune A makes `danvan worker --once`
(repeated until the outbox is drained) send exactly one Zalo message to each reachable follower
of A and none to B or to anyone who unfollowed; a consultation vote cast twice by the same
citizen is counted once in its results.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from fastapi.testclient import TestClient

from danvan.devtools.zalo_standin.protocol import MESSAGE_CS
from danvan.devtools.zalo_standin.state import StandinState
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow

from .conftest import COMMUNE_A, COMMUNE_B, citizen_writes


def test_a_broadcast_to_commune_a_reaches_each_reachable_follower_of_a_exactly_once(
    client: TestClient,
    database: Database,
    personas: object,
    zalo: StandinState,
    oa_tokens: None,
    follow,
    unfollow,
    drain,
) -> None:
    admin = personas.admin  # type: ignore[attr-defined]
    officer_a = personas.officer_a  # type: ignore[attr-defined]
    ids = {}
    for user in ("a1", "a2", "a3", "gone", "stale", "b1", "b2", "nowhere"):
        ids[user] = follow(f"zalo-{user}", ago=timedelta(days=10 if user == "stale" else 0.05))
    unfollow("zalo-gone")
    # Communes are set through the API, as staff would.
    for user in ("a1", "a2", "a3", "gone", "stale"):
        answer = client.patch(
            f"/api/v1/contacts/{ids[user]}",
            json={"commune_code": COMMUNE_A, "tags": ["thôn 3"] if user == "a1" else []},
            headers=admin.headers,
        )
        assert answer.status_code == 200, answer.text
    for user in ("b1", "b2"):
        assert (
            client.patch(
                f"/api/v1/contacts/{ids[user]}",
                json={"commune_code": COMMUNE_B},
                headers=admin.headers,
            ).status_code
            == 200
        )
    created = client.post(
        "/api/v1/broadcasts",
        json={
            "text": "Thông báo: lịch tiêm chủng tại nhà văn hoá thôn vào thứ Bảy.",
            "commune_codes": [COMMUNE_A],
            "send_at": None,
            "urgent": True,  # whatever the hour the test runs at
        },
        headers=officer_a.headers,
    )
    assert created.status_code == 201, created.text
    broadcast = created.json()
    # a1, a2, a3 can be reached; "stale" is past Zalo's 7 days; "gone" unfollowed.
    assert broadcast["reachable"] == 3
    assert broadcast["preview"]["followers"] == 4

    drain()

    received = Counter(m.recipient for m in zalo.messages())
    assert received == {"zalo-a1": 1, "zalo-a2": 1, "zalo-a3": 1}
    assert len(zalo.requests_to(MESSAGE_CS)) == 3
    result = client.get(f"/api/v1/broadcasts/{broadcast['id']}", headers=officer_a.headers)
    assert result.status_code == 200
    totals = result.json()["totals"]
    assert totals["by_status"] == {"sent": 3, "unreachable": 1}
    assert totals["by_commune"] == {str(COMMUNE_A): {"sent": 3, "unreachable": 1}}
    # Officer B cannot see A's broadcast.
    other = client.get(
        f"/api/v1/broadcasts/{broadcast['id']}",
        headers=personas.officer_b.headers,  # type: ignore[attr-defined]
    )
    assert other.status_code == 404
    # Running the worker again sends nothing more.
    drain()
    assert len(zalo.messages()) == 3


def test_a_vote_cast_twice_by_the_same_citizen_counts_once(
    client: TestClient, database: Database, personas: object, follow
) -> None:
    officer_a = personas.officer_a  # type: ignore[attr-defined]
    now = utcnow()
    created = client.post(
        "/api/v1/consultations",
        json={
            "title": "Chọn vị trí xây nhà văn hoá thôn 3",
            "kind": "vote",
            "options": ["Gần trường tiểu học", "Cạnh chợ"],
            "commune_codes": [COMMUNE_A],
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(),
        },
        headers=officer_a.headers,
    )
    assert created.status_code == 201, created.text
    consultation_id = created.json()["id"]
    follow("zalo-voter", commune=COMMUNE_A)
    follow("zalo-other", commune=COMMUNE_A)
    # The citizen answers "1" in Zalo, then changes their mind; another answers "cạnh chợ".
    citizen_writes(database, "zalo-voter", "1")
    citizen_writes(database, "zalo-voter", "Canh cho")
    citizen_writes(database, "zalo-voter", "Canh cho")  # the same words again
    citizen_writes(database, "zalo-other", "cạnh chợ")
    results = client.get(
        f"/api/v1/consultations/{consultation_id}/results", headers=officer_a.headers
    )
    assert results.status_code == 200, results.text
    body = results.json()
    assert body["participants"] == 2
    assert [o["count"] for o in body["options"]] == [0, 2]
    [commune] = body["by_commune"]
    assert commune["commune_code"] == COMMUNE_A
    assert commune["participants"] == 2
