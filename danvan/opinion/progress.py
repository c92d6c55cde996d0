"""What the worker's labelling is doing, for the dashboard: training a model set, working through
a backlog of new messages, or relabelling history after the set in use changed. One row
(`AnalysisProgress`, name "labels") written by the worker's jobs (labels.py) and by retrain and
rollback (retrain.py); the web processes only read it (they never load a model).

So that a fresh demo or a retrain never shows "0" as if no one had written: the dashboard says
"Đang huấn luyện mô hình…" or "Đã gán nhãn 340/1200 tin" instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from danvan.opinion.models import AnalysisProgress

NAME = "labels"
IDLE = "idle"
TRAINING = "training"  # the set in use is being trained (a fresh machine, a new engine)
LABELLING = "labelling"  # a backlog of new messages is being labelled
RELABELLING = "relabelling"  # history is relabelled with a newly activated set
# A backlog smaller than this is ordinary traffic (labelled within seconds): no banner.
BACKLOG = 20


@dataclass(frozen=True)
class Progress:
    state: str
    version: str
    done: int
    total: int
    started_at: datetime | None
    updated_at: datetime

    @property
    def busy(self) -> bool:
        return self.state != IDLE

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


def read(session: Session) -> Progress | None:
    row = session.get(AnalysisProgress, NAME)
    if row is None:
        return None
    return Progress(row.state, row.version, row.done, row.total, row.started_at, row.updated_at)


def note(
    session: Session,
    *,
    state: str,
    now: datetime,
    version: str | None = None,
    done: int = 0,
    total: int = 0,
) -> AnalysisProgress:
    """Record the labelling's state; `started_at` moves only when the state changes."""
    row = session.get(AnalysisProgress, NAME)
    if row is None:
        row = AnalysisProgress(name=NAME, state=IDLE, version="", done=0, total=0)
        session.add(row)
    if row.state != state:
        row.started_at = now if state != IDLE else None
    row.state = state
    if version is not None:
        row.version = version
    row.done = done
    row.total = total
    row.updated_at = now
    return row


def request_relabel(session: Session, *, version: str, now: datetime) -> None:
    """The set in use changed (retrain, rollback): relabel history with it, in the background."""
    note(session, state=RELABELLING, version=version, now=now)
