"""`danvan demo` sets up template messages with the stand-in: its templates read by the same
sync an admin runs, every notice kind but the training reminder mapped, the citizens'
interactions shown to it (so it keeps Zalo's windows), and its receipts posted back."""

from __future__ import annotations

from datetime import timedelta

from danvan.channels.tokens import store_tokens
from danvan.demo import zns
from danvan.devtools.zalo_standin.state import state_of
from danvan.inbox import notice_templates
from danvan.kernel.db import Database
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.testing import citizens
from danvan.testing.servers import ThreadedServer


def test_the_demo_maps_the_stand_ins_templates_and_shares_the_windows(
    database: Database, settings: Settings, standin: ThreadedServer
) -> None:
    with database.session() as session:
        store_tokens(
            session,
            platform="zalo_oa",
            access_token="AT",
            refresh_token="RT",
            expires_at=utcnow() + timedelta(hours=25),
        )
    citizens.citizen_writes(database, user_id="demo-1", at=utcnow() - timedelta(days=9))
    state = state_of(standin)
    with state.lock:
        state.interactions.clear()  # as a fresh stand-in process knows nothing

    zns.set_up(database, settings, state)

    with database.session() as session:
        ready = {k.kind: k.ready for k in notice_templates.report(session)}
    assert ready == {
        "case_received": True,
        "case_answered": True,
        "case_needs_info": True,
        "case_updated": True,
        "consultation_result": True,
        "training_reminder": False,  # the stand-in's template is still pending review
    }
    assert state.window("demo-1") == "closed"
