"""The Vietnamese text pipeline: normalisation, chat-abbreviation expansion, diacritic folding,
word segmentation, language detection and PII masking.

Everything here is pure, offline and deterministic; nothing is downloaded at run time. Word
segmentation uses pyvi's CRF model, which ships inside the pyvi package (chosen over
underthesea by measured accuracy and speed: see bench/README.md). PII masking finds person names
by rules and by underthesea's NER (its CRF models ship in its wheel; imported on first use only).

The steps live in their own modules: normalization (teencode, character classes, `normalize`),
segmentation (`segment`), language (`detect_language`), names (`name_spans`) and pii
(`mask_pii`); this one runs them all at once (`process`).

    >>> normalize("Ko bt đường nàyyyy hỏng từ bao giờ 😡 https://x.vn/a")
    'Không biết đường này hỏng từ bao giờ'
"""

from __future__ import annotations

from dataclasses import dataclass

from danvan.kernel.text import fold
from danvan.nlp.language import Language, detect_language
from danvan.nlp.normalization import normalize
from danvan.nlp.segmentation import segment

# --- Everything at once -----------------------------------------------------------------------


@dataclass(frozen=True)
class Processed:
    original: str
    normalized: str  # see normalize(); case kept
    folded: str  # lower-case, diacritic-free
    words: list[str]  # lower-case segmented words of `normalized`
    language: Language


def process(text: str) -> Processed:
    """Run the whole pipeline on one text."""
    normalized = normalize(text)
    return Processed(
        original=text,
        normalized=normalized,
        folded=fold(normalized),
        words=[w.lower() for w in segment(normalized)],
        language=detect_language(text),
    )
