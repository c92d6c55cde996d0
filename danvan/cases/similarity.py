"""Cases that look alike (TF-IDF over title and description): open ones are candidates for
merging, answered ones a starting point for the answer."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.cases import rules as rules
from danvan.cases.access import visible
from danvan.cases.models import Case
from danvan.kernel.text import fold

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
MIN_SCORE = 0.12


def _terms(text: str) -> Counter[str]:
    """Words of two letters or more, lower-cased, and the pairs of consecutive ones."""
    words = _TOKEN.findall(text.lower())
    return Counter([*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))])


def _tfidf(docs: list[Counter[str]]) -> list[dict[str, float]]:
    """Unit TF-IDF vectors as scikit-learn's TfidfVectorizer(ngram_range=(1, 2),
    sublinear_tf=True) makes them (smooth idf, l2 norm), in plain Python: a web process never
    loads scikit-learn (tests/web/test_web_memory.py), and a few hundred short cases need no
    more."""
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    n = len(docs)
    idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}
    vectors = []
    for doc in docs:
        vector = {term: (1 + math.log(tf)) * idf[term] for term, tf in doc.items()}
        norm = math.sqrt(sum(v * v for v in vector.values()))
        vectors.append({t: v / norm for t, v in vector.items()} if norm else {})
    return vectors


def _ranked(query: str, candidates: list[Case], texts: list[str], limit: int) -> list[Case]:
    if not candidates or not query.strip():
        return []
    vectors = _tfidf([_terms(t) for t in [query, *texts]])
    if not vectors[0]:  # only stop words / empty vocabulary
        return []
    head = vectors[0]
    scores = [sum(w * v.get(t, 0.0) for t, w in head.items()) for v in vectors[1:]]
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    return [candidates[i] for i in order[:limit] if scores[i] >= MIN_SCORE]


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
