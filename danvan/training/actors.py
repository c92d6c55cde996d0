"""Who is acting in the staff training, and what each may do (a rule of this area, built on the
one commune rule of `Actor`):
- organisers are admins (the province's commission runs the courses): they create and change
  everything and see every trainee;
- other staff see the courses aimed at one of their communes (or at the whole province) and,
  in reports, the trainees of their communes only;
- a trainee (`Learner`) sees their own course, checks in, takes quizzes, gives feedback.

`audit` records what either did in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from danvan.accounts import audit as audit_log
from danvan.accounts.actors import Actor
from danvan.kernel.errors import Forbidden
from danvan.training.models import Course, Trainee


@dataclass(frozen=True)
class Learner:
    """A trainee acting for themselves (their personal key, or a staff account enrolled)."""

    trainee: Trainee
    via: str = "web"
    ip: str = ""


def require_organiser(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Chỉ ban tổ chức (quản trị viên) được thực hiện thao tác này")


def sees_course(actor: Actor, course: Course) -> bool:
    """Admins see every course; other staff the courses aimed at one of their communes or at the
    whole province (no commune listed)."""
    if actor.is_admin or not course.audience_communes:
        return True
    return any(actor.sees_commune(code) for code in course.audience_communes)


def sees_trainee(actor: Actor, trainee: Trainee) -> bool:
    return actor.is_admin or actor.sees_commune(trainee.commune_code)


def audit(
    session: Session,
    actor: Actor | Learner | None,
    action: str,
    object_type: str,
    object_id: object,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record an action in the audit log; a trainee's is credited to their staff account, if any."""
    if isinstance(actor, Learner):
        user = actor.trainee.user_id
        entry = audit_log.record(
            session,
            actor=None,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail={"trainee_id": actor.trainee.id, **(detail or {})},
            via=actor.via,
            ip=actor.ip,
        )
        entry.actor_id = user
        return
    audit_log.record(
        session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )
