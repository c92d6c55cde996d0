"""The opinions of a consultation in aggregate: themes, sentiment, stance, and the main arguments
for and against.

- **Sentiment** of each opinion comes from the product classifiers (`danvan.nlp.classifiers`,
  the set the analysis area uses: the deployment's active set, else the default one), only when
  that set can be loaded at once: a web request never waits for a training (the figures say
  so until the worker or `danvan analyze` has trained it).
- **Themes** group opinions by their key phrases, with the opinion-analytics clustering
  (`danvan.opinion.emerging`: segmented key words, cosine of key-word bags, labels from the
  phrases most opinions of a group share).
- **Stance** (for / against / other) comes from explicit cue phrases ("đồng ý", "tán thành",
  "ủng hộ", "nhất trí" / "phản đối", "không nên", "bác bỏ"…), with or without diacritics, and a
  negation just before a cue turns it round ("không đồng ý", "chưa nhất trí", "không phản
  đối"). Cues in both directions that cancel out are settled by the sentiment; no cue is
  "other": a complaint is not a vote against.
- **Main arguments** of each side are its most representative sentences: the closest to the
  side's TF-IDF centroid, near-copies skipped.

The worker summarises (`summaries.run_summaries`) and stores the result; pages read it
(`summaries.opinions_block`): nothing here runs in a web process but `public_view` and
`docx_section`, so the NLP stack is imported inside the functions that need it.

Only aggregates leave this module: counts per theme, stance and sentiment, and quotes with no
identity (PII masked by the NLP pipeline, and the author's own name and phone removed even where
the masker would miss them). There is no per-citizen score or list.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from danvan.inbox.models import Contact
from danvan.kernel.settings import Settings
from danvan.kernel.text import fold, preview
from danvan.nlp.normalization import normalize
from danvan.outreach.items import PUBLIC_MIN
from danvan.outreach.models import Consultation, ConsultationAnswer

if TYPE_CHECKING:  # the worker's (summaries.run_summaries); web processes never load them
    from danvan.nlp.classifiers import ModelSet

MAX_OPINIONS = 5000  # the most recent ones, per analysis
MAX_THEMES = 8
MIN_THEME = 2  # opinions for a group to be a theme
ARGUMENTS = 3  # sentences per side
QUOTE_CHARS = 300
MIN_SENTENCE_WORDS = 4
SAME_ARGUMENT = 0.8  # cosine above which a sentence repeats one already chosen
STANCES = ("for", "against", "other")

_NEGATION = r"(?:khong|chua|chang|cha|ko)(?:\s+(?:he|hoan toan|thuc su|the))?"
_FOR = ("dong y", "tan thanh", "ung ho", "nhat tri", "hoan nghenh", "chap thuan")
_AGAINST = ("phan doi", "bac bo", "khong nen", "khong chap nhan", "khong the chap nhan")
_CUE = re.compile(
    rf"(?<!\w)(?:({_NEGATION})\s+)?({'|'.join(sorted(_FOR + _AGAINST, key=len, reverse=True))})"
    r"(?!\w)"
)
_SENTENCE = re.compile(r"(?<=[.!?;…])\s+|\n+")
_DIGITS = re.compile(r"\D")


def cue_score(text: str) -> tuple[int, int]:
    """(for minus against, number of cues) from the cue phrases of `text`."""
    folded = fold(normalize(text)).lower()
    score = cues = 0
    for found in _CUE.finditer(folded):
        sign = 1 if found.group(2) in _FOR else -1
        if found.group(1):
            sign = -sign
        score += sign
        cues += 1
    return score, cues


def stance_of(text: str, sentiment: str | None) -> str:
    """for / against / other: the cues decide; cues that cancel out are settled by sentiment."""
    score, cues = cue_score(text)
    if score > 0:
        return "for"
    if score < 0:
        return "against"
    if cues and sentiment == "positive":
        return "for"
    if cues and sentiment == "negative":
        return "against"
    return "other"


def model_set_if_ready(session: Session, settings: Settings) -> ModelSet | None:
    """The classifiers the analysis area uses, if they load now (never trains)."""
    from danvan.opinion import model_use

    return model_use.set_if_stored(session, settings)


@dataclass
class _Opinion:
    index: int
    text: str  # the author's own name and phone already removed
    at: datetime
    sentiment: str | None = None
    stance: str = "other"


def _without_author(text: str, name: str, phone: str | None) -> str:
    """Remove the author's own display name and phone from their opinion before anything is
    quoted (the masker catches most names and phones; this one is certain)."""
    if name and len(name.strip()) >= 5:
        text = re.sub(re.escape(name.strip()), "[TÊN]", text, flags=re.IGNORECASE)
    digits = _DIGITS.sub("", phone or "")
    if len(digits) >= 8:
        spaced = r"[\s.\-]?".join(re.escape(d) for d in digits[-9:])
        text = re.sub(rf"(?:\+?84|0)?[\s.\-]?{spaced}", "[SĐT]", text)
    return text


def _in(communes: list[int] | None) -> ColumnElement[bool]:
    """The answers of `communes` (None: all of them)."""
    return true() if communes is None else ConsultationAnswer.commune_code.in_(communes)


def _load(
    session: Session, consultation: Consultation, communes: list[int] | None
) -> list[_Opinion]:
    rows = session.execute(
        select(
            ConsultationAnswer.opinion,
            ConsultationAnswer.updated_at,
            Contact.display_name,
            Contact.phone,
        )
        .outerjoin(Contact, Contact.id == ConsultationAnswer.contact_id)
        .where(
            ConsultationAnswer.consultation_id == consultation.id,
            ConsultationAnswer.opinion.is_not(None),
            _in(communes),
        )
        .order_by(ConsultationAnswer.updated_at.desc(), ConsultationAnswer.id.desc())
        .limit(MAX_OPINIONS)
    ).all()
    return [
        _Opinion(index=i, text=_without_author(text or "", name or "", phone), at=at)
        for i, (text, at, name, phone) in enumerate(rows)
        if text
    ]


def _quote(text: str) -> str:
    from danvan.nlp.pii import mask_pii

    return preview(mask_pii(text), QUOTE_CHARS)


def _sentences(text: str) -> list[str]:
    return [
        s.strip()
        for s in _SENTENCE.split(text)
        if len(s.split()) >= MIN_SENTENCE_WORDS and len(s.strip()) <= 1000
    ]


def main_arguments(texts: list[str], limit: int = ARGUMENTS) -> list[str]:
    """The sentences closest to the TF-IDF centroid of `texts`' sentences, masked."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

    sentences = [s for t in texts for s in _sentences(t)]
    if not sentences:
        return []
    folded = [fold(normalize(s)).lower() for s in sentences]
    try:
        matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(folded)
    except ValueError:  # nothing but stop words or numbers
        return []
    centroid = np.asarray(matrix.mean(axis=0)).ravel()
    norm = float(np.linalg.norm(centroid))
    if norm == 0:
        return []
    closeness = matrix @ (centroid / norm)
    chosen: list[int] = []
    for i in np.argsort(-closeness, kind="stable"):
        row = matrix[int(i)]
        if any(float((row @ matrix[j].T).toarray()[0, 0]) > SAME_ARGUMENT for j in chosen):
            continue
        chosen.append(int(i))
        if len(chosen) >= limit:
            break
    return [_quote(sentences[i]) for i in chosen]


def _themes(opinions: list[_Opinion]) -> tuple[list[dict[str, Any]], int]:
    """Themes (largest first) and how many opinions fell in none."""
    from danvan.opinion import emerging

    items = [
        emerging.Item(
            message_id=o.index, text=o.text, received_at=o.at, seq=emerging.tokens(o.text)
        )
        for o in opinions
    ]
    emerging.mark_near_duplicates(items)
    by_index = {o.index: o for o in opinions}
    themes: list[dict[str, Any]] = []
    outside = 0
    for group in emerging.cluster(items):
        if len(group.items) < MIN_THEME:
            outside += len(group.items)
            continue
        label, words = emerging.label_of(group)
        members = [by_index[item.message_id] for item in group.items]
        central = max(
            group.items,
            key=lambda item: (
                _cosine(Counter({fold(w) for w in item.words}), group.bag),
                -item.message_id,
            ),
        )
        stances = Counter(m.stance for m in members)
        themes.append(
            {
                "label": label or ", ".join(w.replace("_", " ") for w in words[:3]),
                "count": len(members),
                "stance": {s: stances.get(s, 0) for s in STANCES},
                "quote": _quote(by_index[central.message_id].text),
            }
        )
    themes.sort(key=lambda t: (-t["count"], t["label"]))
    for extra in themes[MAX_THEMES:]:
        outside += extra["count"]
    return themes[:MAX_THEMES], outside


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    den = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return float(dot / den) if den else 0.0


def summarise(
    session: Session,
    *,
    consultation: Consultation,
    model_set: ModelSet | None,
    communes: list[int] | None = None,
) -> dict[str, Any]:
    """The "opinions" block: exact counts and masked quotes, for staff (see `public_view`), of
    the answers from `communes` (None: all; staff read their communes', `visible_communes`)."""
    opinions = _load(session, consultation, communes)
    if model_set is not None and opinions:
        for opinion, labels in zip(
            opinions, model_set.classify([o.text for o in opinions]), strict=True
        ):
            opinion.sentiment = labels.sentiment
    for opinion in opinions:
        opinion.stance = stance_of(opinion.text, opinion.sentiment)
    stances = Counter(o.stance for o in opinions)
    sentiments = Counter(o.sentiment for o in opinions if o.sentiment)
    themes, outside = _themes(opinions) if opinions else ([], 0)
    return {
        "opinions": len(opinions),
        "analysed_up_to": MAX_OPINIONS,
        "model": model_set.version if model_set is not None else None,
        "sentiment": (
            {s: sentiments.get(s, 0) for s in ("positive", "neutral", "negative")}
            if model_set is not None
            else None
        ),
        "stance": {s: stances.get(s, 0) for s in STANCES},
        "themes": themes,
        "outside_themes": outside,
        "arguments": {
            side: main_arguments([o.text for o in opinions if o.stance == side])
            for side in ("for", "against")
        },
    }


def public_view(summary: dict[str, Any]) -> dict[str, Any]:
    """What a public page may show: counts under `PUBLIC_MIN` hidden (None), themes and their
    quotes only from `PUBLIC_MIN` opinions up, a side's arguments only from as many."""

    def shown(count: int) -> int | None:
        return count if count >= PUBLIC_MIN else None

    return {
        "opinions": shown(summary["opinions"]),
        "sentiment": (
            {k: shown(v) for k, v in summary["sentiment"].items()}
            if summary["sentiment"] is not None
            else None
        ),
        "stance": {k: shown(v) for k, v in summary["stance"].items()},
        "themes": [
            {
                "label": t["label"],
                "count": t["count"],
                "stance": {k: shown(v) for k, v in t["stance"].items()},
                "quote": t["quote"],
            }
            for t in summary["themes"]
            if t["count"] >= PUBLIC_MIN
        ],
        "arguments": {
            side: quotes if summary["stance"].get(side, 0) >= PUBLIC_MIN else []
            for side, quotes in summary["arguments"].items()
        },
        "suppressed_below": PUBLIC_MIN,
    }


def docx_section(doc: Any, summary: dict[str, Any]) -> None:
    """The "Tổng hợp ý kiến" section of the minutes (python-docx document)."""
    doc.add_heading("Tổng hợp ý kiến", level=2)
    total = summary["opinions"]
    doc.add_paragraph(f"Số ý kiến được tổng hợp: {total}")
    if not total:
        return
    stance = summary["stance"]
    doc.add_paragraph(
        f"Tán thành: {stance['for']}; không tán thành: {stance['against']}; "
        f"ý kiến khác: {stance['other']} (theo các cụm từ thể hiện quan điểm trong ý kiến)."
    )
    if summary["sentiment"] is not None:
        s = summary["sentiment"]
        doc.add_paragraph(
            f"Sắc thái: tích cực {s['positive']}, trung tính {s['neutral']}, "
            f"tiêu cực {s['negative']}."
        )
    if summary["themes"]:
        doc.add_paragraph("Các chủ đề chính:")
        for theme in summary["themes"]:
            counts = theme["stance"]
            doc.add_paragraph(
                f"{theme['label']}: {theme['count']} ý kiến (tán thành {counts['for']}, "
                f"không tán thành {counts['against']}). Ví dụ: “{theme['quote']}”",
                style="List Bullet",
            )
    for side, title in (("for", "Lý do tán thành"), ("against", "Lý do không tán thành")):
        if summary["arguments"][side]:
            doc.add_paragraph(f"{title}:")
            for quote in summary["arguments"][side]:
                doc.add_paragraph(f"“{quote}”", style="List Bullet")
    doc.add_paragraph(
        "Trích dẫn đã được che thông tin cá nhân (tên, số điện thoại, số giấy tờ, e-mail); "
        "không nêu danh tính người góp ý."
    )
