"""The topic taxonomy: what citizens write about. Shared by the classifiers, cases (a case's
category is a topic) and reports.

The default covers citizens' usual concerns. A deployment may replace it with a JSON file
(`DANVAN_TOPICS_FILE`): a list of {"code", "vi", "en"} objects; codes are short ASCII slugs that
stay stable (stored in the database), names may change freely. "other" always exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Topic:
    code: str
    vi: str
    en: str

    def name(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


OTHER = "other"

DEFAULT_TOPICS: tuple[Topic, ...] = (
    Topic("land", "Đất đai, giải phóng mặt bằng", "Land and site clearance"),
    Topic("environment", "Môi trường, ô nhiễm", "Environment and pollution"),
    Topic("roads", "Giao thông, đường sá, xây dựng", "Roads, transport and construction"),
    Topic("utilities", "Điện, nước, viễn thông", "Electricity, water and telecoms"),
    Topic("health", "Y tế, bảo hiểm xã hội", "Health and social insurance"),
    Topic("education", "Giáo dục", "Education"),
    Topic("welfare", "An sinh xã hội, chính sách", "Social welfare and policy beneficiaries"),
    Topic("security", "An ninh, trật tự", "Security and public order"),
    Topic("admin", "Thủ tục hành chính, dịch vụ công", "Administrative procedures and services"),
    Topic("livelihood", "Giá cả, việc làm, đời sống", "Prices, jobs and livelihoods"),
    Topic("agriculture", "Nông, lâm nghiệp, thiên tai", "Agriculture, forestry and disasters"),
    Topic("culture", "Văn hoá, dân tộc, tôn giáo", "Culture, ethnic affairs and religion"),
    Topic(OTHER, "Khác", "Other"),
)

SENTIMENTS = ("negative", "neutral", "positive")
KINDS = ("question", "complaint", "suggestion", "praise", "information", "other")


class TaxonomyError(ValueError):
    pass


def load_topics(path: str | Path | None) -> tuple[Topic, ...]:
    """The deployment's topics: the file's when given, else the default."""
    if not path:
        return DEFAULT_TOPICS
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        topics = tuple(Topic(str(t["code"]), str(t["vi"]), str(t["en"])) for t in raw)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TaxonomyError(f"cannot read the topic file {path}: {exc}") from exc
    codes = [t.code for t in topics]
    if len(set(codes)) != len(codes) or not all(c.isascii() and c for c in codes):
        raise TaxonomyError(f"topic codes in {path} must be unique non-empty ASCII slugs")
    if OTHER not in codes:
        topics = (*topics, Topic(OTHER, "Khác", "Other"))
    return topics


@lru_cache(maxsize=8)
def _cached(path: str) -> tuple[Topic, ...]:
    return load_topics(path or None)


def topics() -> tuple[Topic, ...]:
    """The configured topics (cached per topic file)."""
    from danvan.kernel.settings import get_settings

    return _cached(get_settings().topics_file)


def topic_name(code: str | None, locale: str = "vi") -> str:
    for topic in topics():
        if topic.code == code:
            return topic.name(locale)
    return code or "—"
