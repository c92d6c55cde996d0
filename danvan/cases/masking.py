"""A case's texts on their way to public surfaces (/tra-cuu, Open311), masked by the worker.

Staff write the public title, answer and reason, and staff may paste a citizen's words into
them; a partner's keyed Open311 read shows the description. All of them are masked (names,
phones, ID numbers, e-mails: `danvan.nlp.pii`) before they leave, as a second line of defence.
Masking names needs underthesea and pyvi (~100 MB per process), so the worker does it
(`run_public_masks`) and stores the result on the case (`Case.public_masked`, with a digest of
what it masked); web processes read it (`masked_texts`) and never load the NLP stack.

Whatever changes one of these texts empties `public_masked` (an attribute event in models.py),
and the job masks it again within seconds; meanwhile the public surfaces show the neutral title
and no staff text, never an unmasked one. Rows of before revision 0012 are masked the same way.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from danvan.cases.models import Case
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings

log = logging.getLogger("danvan.cases.masking")

BATCH = 200
FIELDS = ("title", "answer", "reason", "description")


def _sources(case: Case) -> dict[str, str]:
    return {
        "title": case.public_title or "",
        "answer": case.public_answer or "",
        "reason": case.public_reason or "",
        "description": case.description or "",
    }


def digest(case: Case) -> str:
    joined = "\x1f".join(_sources(case)[f] for f in FIELDS)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def masked_texts(case: Case) -> dict[str, str] | None:
    """The case's public texts as the worker masked them, or None while they wait for it (or
    changed since: the digest no longer matches)."""
    stored: dict[str, Any] | None = case.public_masked
    if not stored or stored.get("of") != digest(case):
        return None
    return {f: str(stored.get(f) or "") for f in FIELDS}


def mask_case(case: Case) -> None:
    """Mask the case's public texts now (the worker; imports the NLP stack on first use)."""
    from danvan.nlp.pii import mask_pii

    out: dict[str, Any] = {"of": digest(case)}
    for field, text in _sources(case).items():
        out[field] = mask_pii(text) if text.strip() else text
    case.public_masked = out


def run_public_masks(database: Database, settings: Settings, now: datetime) -> int:
    """The worker's job: mask the public texts of cases that wait for it (new, changed, or of
    before revision 0012), a batch per run. Returns how many cases were masked."""
    with database.session() as session:
        cases = session.scalars(
            select(Case).where(Case.public_masked.is_(None)).order_by(Case.id).limit(BATCH)
        ).all()
        for case in cases:
            mask_case(case)
        if cases:
            log.info("masked the public texts of %d cases", len(cases))
        return len(cases)
