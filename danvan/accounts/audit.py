"""The audit log: every staff action, written in the action's own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.models import AuditEntry


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    object_type: str = "",
    object_id: object = "",
    detail: dict[str, Any] | None = None,
    via: str | None = None,
    ip: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.user.id if actor else None,
        via=via or (actor.via if actor else "system"),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail or {},
        ip=ip if ip is not None else (actor.ip if actor else ""),
    )
    session.add(entry)
    return entry
