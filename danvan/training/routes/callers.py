"""Who is calling the training API: a staff account (personal API token, `dv_…`, scoped as
everywhere) or a trainee (personal key, `tk_…`, good only for their own check-ins, quizzes and
feedback).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from danvan.accounts.actors import Actor
from danvan.accounts.staff import user_for_token
from danvan.kernel.errors import Invalid, NotFound
from danvan.training.actors import Learner
from danvan.training.trainees import KEY_PREFIX, learner_for_key, learner_in_course
from danvan.web.deps import SessionDep, client_ip


def _bearer(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(
            status_code=401, detail="Missing bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    return authorization[7:].strip()


def api_caller(
    request: Request, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Actor | Learner:
    """A staff account (personal API token) or a trainee (personal key)."""
    token = _bearer(authorization)
    ip = client_ip(request)
    if token.startswith(KEY_PREFIX):
        learner = learner_for_key(session, token, via="api", ip=ip)
        if learner is not None:
            return learner
    else:
        user = user_for_token(session, token)
        if user is not None:
            return Actor(user, via="api", ip=ip)
    raise HTTPException(
        status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"}
    )


Caller = Annotated[Actor | Learner, Depends(api_caller)]


def staff(caller: Actor | Learner) -> Actor:
    """The staff account calling; a trainee's key gets a 404 (`NotFound`)."""
    if isinstance(caller, Learner):
        # A trainee's key opens their own training, nothing else: as if the rest did not exist.
        raise NotFound()
    return caller


def learner(session: Session, caller: Actor | Learner, course_id: int) -> Learner:
    """The trainee acting: their key, or a staff account enrolled in that course."""
    if isinstance(caller, Learner):
        if caller.trainee.course_id != course_id:
            raise NotFound()
        return caller
    learner = learner_in_course(
        session, user=caller.user, course_id=course_id, via="api", ip=caller.ip
    )
    if learner is None:
        raise Invalid("Bạn không ghi danh khoá học này", code="not_enrolled")
    return learner
