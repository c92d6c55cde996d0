"""One public lookup box for both kinds of code a citizen may hold: a case code (`TQ-…`, sent on
Zalo) and a web-form tracking code (`GY-…`); every public page links to it; the case's public
page is styled by the public stylesheet like the other public pages."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from cases.case_helpers import MakeCase
from danvan.cases.models import Case
from danvan.inbox import webform
from danvan.kernel.db import Database
from danvan.testing import citizens

PUBLIC_CSS = Path(__file__).parents[2] / "danvan/web/static/public.css"


def case_code(database: Database, case_id: int) -> str:
    with database.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return str(case.code)


def test_one_box_takes_case_codes_and_tracking_codes(
    client: TestClient, make_case: MakeCase, database: Database
) -> None:
    code = case_code(database, make_case())
    tracking = webform.new_tracking_code()
    citizens.citizen_writes(database, text="Rác chưa thu gom", channel="web", user_id=tracking)

    box = client.get("/tra-cuu")
    assert "TQ-2611-0042" in box.text
    assert "GY-7K3M-9QPX-W4TR" in box.text
    for typed, target in (
        (code.lower(), f"/tra-cuu/{code}"),
        (f" {tracking.replace('-', '').lower()} ", f"/gop-y/{tracking}"),
    ):
        found = client.get("/tra-cuu", params={"ma": typed}, follow_redirects=False)
        assert found.status_code == 303, typed
        assert found.headers["location"] == target
        assert client.get(target).status_code == 200
    for unknown in ("TQ-2601-9999", webform.new_tracking_code()):
        missing = client.get("/tra-cuu", params={"ma": unknown})
        assert missing.status_code == 404
        assert "Không tìm thấy phản ánh với mã này" in missing.text
        assert f'value="{unknown}"' in missing.text


def test_every_public_page_links_to_the_one_box(
    client: TestClient, make_case: MakeCase, database: Database
) -> None:
    code = case_code(database, make_case())
    for path in ("/gop-y", "/tra-cuu", f"/tra-cuu/{code}", "/khong-co-trang-nay"):
        page = client.get(path, headers={"Accept": "text/html"})
        assert 'href="/tra-cuu"' in page.text, path
        assert "/gop-y/tra-cuu" not in page.text, path


def test_the_case_page_is_dressed_by_the_public_stylesheet(
    client: TestClient, make_case: MakeCase, database: Database
) -> None:
    code = case_code(database, make_case())
    page = client.get(f"/tra-cuu/{code}").text
    assert '<link rel="stylesheet" href="/static/public.css">' in page
    assert "/static/app.css" not in page  # not the staff pages' style
    main = page[page.index("<main") : page.index("</main>")]
    classes = {name for attr in re.findall(r'class="([^"]+)"', main) for name in attr.split()}
    styled = set(re.findall(r"\.([a-z][a-z0-9-]*)", PUBLIC_CSS.read_text()))
    assert {"case-facts", "case-status", "case-steps"} <= classes
    assert classes - styled == set()
