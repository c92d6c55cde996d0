"""Cases that look alike (TF-IDF over title and description): open ones are candidates for
merging, answered ones a starting point for the answer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.cases import rules as rules
from danvan.cases.access import visible
from danvan.cases.models import Case
from danvan.kernel.text import fold


def _ranked(query: str, candidates: list[Case], texts: list[str], limit: int) -> list[Case]:
    if not candidates or not query.strip():
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.metrics.pairwise import cosine_similarity  # type: ignore[import-untyped]

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([query, *texts])
    except ValueError:  # only stop words / empty vocabulary
        return []
    scores = cosine_similarity(matrix[0:1], matrix[1:]).ravel()
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    return [candidates[i] for i in order[:limit] if scores[i] >= 0.12]


def _content(case: Case) -> str:
    return fold(f"{case.title} {case.description}")


def similar_open_cases(session: Session, *, actor: Actor, case: Case, limit: int = 5) -> list[Case]:
    """Open cases of the same commune that look alike: candidates for merging."""
    candidates = list(
        session.scalars(
            visible(session, actor)
            .where(
                Case.id != case.id,
                Case.status_kind != rules.CLOSED,
                Case.merged_into_id.is_(None),
                Case.commune_code.is_(None)
                if case.commune_code is None
                else Case.commune_code == case.commune_code,
            )
            .order_by(Case.received_at.desc())
            .limit(500)
        )
    )
    return _ranked(_content(case), candidates, [_content(c) for c in candidates], limit)


def similar_answers(session: Session, *, actor: Actor, case: Case, limit: int = 3) -> list[Case]:
    """Answered cases that look alike: their public answers are a starting point."""
    candidates = list(
        session.scalars(
            visible(session, actor)
            .where(Case.id != case.id, Case.public_answer != "", Case.merged_into_id.is_(None))
            .order_by(Case.answered_at.desc())
            .limit(1000)
        )
    )
    return _ranked(_content(case), candidates, [_content(c) for c in candidates], limit)
