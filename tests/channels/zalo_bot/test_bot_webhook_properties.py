"""Whatever a caller with the right token sends, /webhooks/zalo-bot answers 200 or a 4xx, never a
5xx, and a rejected call stores nothing (rows counted before and after each example)."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from danvan.channels.zalo_bot.payloads import FIXTURES
from danvan.channels.zalo_oa.payloads import MAX_BODY
from danvan.inbox.models import Contact, InboundEvent, Message
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings

URL = "/webhooks/zalo-bot"
RECORDED = sorted(path.stem for path in FIXTURES.glob("*.json"))
EXAMPLES = hypothesis_settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def stored(database: Database) -> list[int]:
    with database.session() as session:
        return [
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (InboundEvent, Contact, Message)
        ]


def check(client: TestClient, database: Database, config: Settings, body: bytes) -> int:
    before = stored(database)
    headers = {"X-Bot-Api-Secret-Token": config.zalo_bot_secret}
    response = client.post(URL, content=body, headers=headers)
    assert response.status_code == 200 or 400 <= response.status_code < 500, response.text
    if response.status_code != 200:
        assert stored(database) == before
        assert response.json()["detail"]
    status: int = response.status_code
    return status


def is_json(body: bytes) -> bool:
    try:
        json.loads(body.decode("utf-8"))
    except ValueError:
        return False
    return True


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


@EXAMPLES
@given(body=st.binary(max_size=2048))
def test_arbitrary_bytes_never_get_a_5xx(
    client: TestClient, database: Database, settings: Settings, body: bytes
) -> None:
    check(client, database, settings, body)


@EXAMPLES
@given(name=st.sampled_from(RECORDED), data=st.data())
def test_malformed_json_gets_400_and_stores_nothing(
    client: TestClient, database: Database, settings: Settings, name: str, data: st.DataObject
) -> None:
    text = (FIXTURES / f"{name}.json").read_text(encoding="utf-8").strip()
    cut = data.draw(st.integers(min_value=0, max_value=len(text) - 1), label="cut")
    junk = data.draw(st.sampled_from(["", "{", ",", '"', "]", "}}", ":", "nul"]), label="junk")
    body = (text[:cut] + junk).encode()
    assume(not is_json(body))  # a cut may close the object by chance
    assert check(client, database, settings, body) == 400


@EXAMPLES
@given(name=st.sampled_from(RECORDED), data=st.data())
def test_fields_of_any_type_get_200_or_a_4xx_and_a_rejection_stores_nothing(
    client: TestClient, database: Database, settings: Settings, name: str, data: st.DataObject
) -> None:
    mutated = copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_bytes()))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="changes")):
        choices = paths(mutated)
        if not choices:
            break
        path = data.draw(st.sampled_from(choices), label="path")
        parent = mutated
        for step in path[:-1]:
            parent = parent[step]
        if data.draw(st.booleans(), label="delete") and isinstance(path[-1], str):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(json_values, label="value")
    check(client, database, settings, json.dumps(mutated, ensure_ascii=False).encode())


@EXAMPLES
@given(
    name=st.sampled_from(RECORDED),
    position=st.floats(min_value=0, max_value=1),
    bad=st.sampled_from([b"\xff", b"\xc3", b"\xe1\x80", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]),
)
def test_invalid_utf8_gets_400_and_stores_nothing(
    client: TestClient,
    database: Database,
    settings: Settings,
    name: str,
    position: float,
    bad: bytes,
) -> None:
    raw = (FIXTURES / f"{name}.json").read_bytes()
    at = int(position * len(raw))
    assert check(client, database, settings, raw[:at] + bad + raw[at:]) == 400


@hypothesis_settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(RECORDED), extra=st.integers(min_value=1, max_value=4096))
def test_a_body_over_the_limit_gets_413_and_stores_nothing(
    client: TestClient, database: Database, settings: Settings, name: str, extra: int
) -> None:
    payload = json.loads((FIXTURES / f"{name}.json").read_bytes())
    small = json.dumps({**payload, "padding": ""}).encode()
    payload["padding"] = "x" * (MAX_BODY - len(small) + extra)
    body = json.dumps(payload).encode()
    assert len(body) == MAX_BODY + extra
    assert check(client, database, settings, body) == 413
