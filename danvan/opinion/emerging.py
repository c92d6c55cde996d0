"""Emerging issues: recent messages of one commune and topic grouped into issues, and spikes.

The worker job (every minute) reads the analyses that arrived since its cursor and, for each
commune × topic pair they touch:

1. counts the pair's recent windows against its own baseline (`spikes.detect`, baseline from
   the daily rollups) and raises an alert on a spike (one per pair per day);
2. groups the pair's messages of the last `RECENT` into issues: near-copies are found with
   MinHash over character shingles (datasketch LSH) and count once; the rest are clustered
   greedily by key-word overlap (segmented words, stop words out);
3. keeps issue identity across days: a cluster sharing messages or enough key words with an
   active issue of the pair updates it instead of creating another. Issues with no message
   for `FADE_AFTER` fade.

Labels are the cluster's most shared key phrases in their usual written form ("sạt lở, đường
liên thôn, Nặm Đường"). Issues are about messages; nothing here is about a citizen.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from danvan.inbox.models import Direction, Message
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.kernel.text import fold
from danvan.nlp.normalization import normalize
from danvan.nlp.pii import mask_pii
from danvan.nlp.segmentation import segment
from danvan.opinion import spikes
from danvan.opinion.models import (
    NO_COMMUNE,
    AlertKind,
    EmergingIssue,
    EmergingIssueMessage,
    IssueStatus,
    MessageAnalysis,
    OpinionAlert,
    OpinionRollup,
)
from danvan.opinion.rollups import job_cursor, local_day, new_analyses, zone

CURSOR = "emerging"
BATCH = 5000
RECENT = timedelta(hours=72)
FADE_AFTER = timedelta(days=3)
MAX_MESSAGES = 400  # per pair and run: the most recent ones
MIN_ISSUE = 3  # messages (near-copies included) for a cluster to be an issue
SIMILARITY = 0.25  # cosine of key-word bags to join a cluster
SAME_ISSUE = 0.3  # key-word Jaccard for a cluster to continue an existing issue
NEAR_DUPLICATE = 0.7  # MinHash Jaccard estimate of character shingles
NUM_PERM = 64
SHINGLE = 4
ALERT_EVERY = timedelta(hours=24)
LABEL_PHRASES = 3

# Function words and chat filler: never key words. Compared in written form when a word has
# diacritics ("nặm" is not "năm") and folded when it has none ("nam" may be "năm").
_STOP_TEXT = """
là và của có không được cho này đó thì mà ở tại với các những một nhiều rất đã đang sẽ bị
ra vào lên xuống tôi em anh chị ông bà bác cháu mình bạn a à ạ ơi nhé nha ah vậy thôi rồi
cũng còn về đi đến từ trong ngoài khi nếu vì nên sao gì nào ai thế như làm quá hay hoặc
xin hỏi cảm ơn giúp đề nghị bạn cần chưa mới lại theo trên dưới sau trước hôm nay ngày giờ
năm tháng tuần bao nhiêu mấy cái chiếc người dân bà_con chúng_tôi chúng_em gia_đình nhà_em
nhà_tôi hiện_nay hiện nhiều_lần tình_trạng vấn_đề địa_phương cán_bộ kính_gửi xin_hỏi cảm_ơn
đề_nghị mong ok hi hello alo dạ vâng bao_giờ khi_nào như_thế_nào tại_sao vì_sao
cho_hỏi làm_sao có_thể được_không rất_nhiều hôm_nay sáng_nay tối_nay
"""
STOPWORDS_WRITTEN = frozenset(_STOP_TEXT.split())
STOPWORDS = frozenset(fold(w) for w in STOPWORDS_WRITTEN)
_MASK = re.compile(r"\[[^\]]{1,12}\]")
_WORDISH = re.compile(r"\w", re.UNICODE)


def tokens(text: str) -> list[str | None]:
    """Segmented words of a text (lower-case, multi-syllable words joined by "_"); None where a
    stop word, number or punctuation breaks a phrase."""
    out: list[str | None] = []
    # Names, phone and ID numbers never become key words (labels are shown widely).
    masked = _MASK.sub(" . ", mask_pii(text))
    for word in segment(normalize(masked)):
        lower = word.lower()
        key = fold(lower)
        if (
            (lower in STOPWORDS_WRITTEN if lower != key else key in STOPWORDS)
            or len(key) < 2
            or not _WORDISH.search(key)
            or key.replace("_", "").isdigit()
            or key.startswith("[")
        ):
            if out and out[-1] is not None:
                out.append(None)
            continue
        out.append(lower)
    return out


# Recent messages are regrouped at every run: their segmentation is kept (per process) by
# message id and text, so each message is segmented about once.
_TOKEN_CACHE: dict[tuple[int, int], list[str | None]] = {}
TOKEN_CACHE_SIZE = 50_000


def _cached_tokens(message_id: int, text: str) -> list[str | None]:
    key = (message_id, hash(text))
    found = _TOKEN_CACHE.get(key)
    if found is None:
        if len(_TOKEN_CACHE) >= TOKEN_CACHE_SIZE:
            _TOKEN_CACHE.clear()
        found = _TOKEN_CACHE[key] = tokens(text)
    return found


def keywords(text: str) -> list[str]:
    """Key words of a text in written form (lower-case, multi-syllable words joined by "_")."""
    return [t for t in tokens(text) if t is not None]


def _phrases(seq: Sequence[str | None], longest: int = 4) -> set[tuple[str, ...]]:
    """Runs of 1..`longest` consecutive key words (as tuples of written words)."""
    found: set[tuple[str, ...]] = set()
    run: list[str] = []
    for token in [*seq, None]:
        if token is None:
            for n in range(1, longest + 1):
                for i in range(len(run) - n + 1):
                    found.add(tuple(run[i : i + n]))
            run = []
        else:
            run.append(token)
    return found


def _shingles(text: str) -> set[str]:
    folded = " ".join(fold(normalize(text)).split())
    if len(folded) <= SHINGLE:
        return {folded}
    return {folded[i : i + SHINGLE] for i in range(len(folded) - SHINGLE + 1)}


def _minhash(text: str) -> MinHash:
    mh = MinHash(num_perm=NUM_PERM, seed=7)
    for shingle in _shingles(text):
        mh.update(shingle.encode("utf-8"))
    return mh


@dataclass
class Item:
    message_id: int
    text: str
    received_at: datetime
    seq: list[str | None]
    duplicate_of: int | None = None

    @property
    def words(self) -> list[str]:
        return [t for t in self.seq if t is not None]


@dataclass
class Cluster:
    items: list[Item] = field(default_factory=list)
    bag: Counter[str] = field(default_factory=Counter)  # folded key word -> messages having it

    def add(self, item: Item) -> None:
        self.items.append(item)
        self.bag.update({fold(w) for w in item.words})

    @property
    def keys(self) -> set[str]:
        return set(self.bag)


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    return dot / (
        math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    )


def mark_near_duplicates(items: Sequence[Item]) -> int:
    """Set `duplicate_of` on items that nearly copy an earlier item; how many were marked."""
    lsh = MinHashLSH(threshold=NEAR_DUPLICATE, num_perm=NUM_PERM)
    marked = 0
    for item in items:
        mh = _minhash(item.text)
        found = lsh.query(mh)
        if found:
            item.duplicate_of = min(int(k) for k in found)
            marked += 1
        else:
            lsh.insert(str(item.message_id), mh)
    return marked


def cluster(items: Sequence[Item]) -> list[Cluster]:
    """Greedy clustering in time order: each original message joins the most similar cluster
    (cosine of key-word bags ≥ SIMILARITY) or starts one; near-copies follow their original."""
    clusters: list[Cluster] = []
    home: dict[int, Cluster] = {}
    for item in sorted(items, key=lambda i: (i.received_at, i.message_id)):
        if item.duplicate_of is not None and item.duplicate_of in home:
            home[item.duplicate_of].add(item)
            home[item.message_id] = home[item.duplicate_of]
            continue
        bag = Counter({fold(w) for w in item.words})
        best, best_score = None, SIMILARITY
        for candidate in clusters:
            score = _cosine(bag, candidate.bag)
            if score >= best_score:
                best, best_score = candidate, score
        if best is None:
            best = Cluster()
            clusters.append(best)
        best.add(item)
        home[item.message_id] = best
    return clusters


def label_of(group: Cluster, limit: int = LABEL_PHRASES) -> tuple[str, list[str]]:
    """(label, folded key words) of a cluster. The label joins the phrases most of its messages
    share (longer phrases preferred when nearly as shared), in their most frequent written
    form, without repeating a word already shown."""
    forms: dict[tuple[str, ...], Counter[str]] = {}
    df: Counter[tuple[str, ...]] = Counter()
    for item in group.items:
        seen: set[tuple[str, ...]] = set()
        for phrase in _phrases(item.seq):
            key = tuple(fold(w) for w in phrase)
            forms.setdefault(key, Counter())[" ".join(phrase).replace("_", " ")] += 1
            seen.add(key)
        df.update(seen)
    floor = max(2, 0.4 * len(group.items))

    def score(key: tuple[str, ...]) -> float:
        syllables = sum(w.count("_") + 1 for w in key)
        return df[key] * (1 + 0.25 * (syllables - 1))

    chosen: list[tuple[str, ...]] = []
    shown: set[str] = set()
    for key in sorted(df, key=lambda k: (-score(k), k)):
        if len(chosen) >= limit:
            break
        if len(key) > 1 and df[key] < floor:
            continue
        if any(_inside(key, c) or _inside(c, key) for c in chosen):
            continue
        if 2 * sum(1 for w in key if w in shown) > len(key):
            continue  # mostly words already in the label
        chosen.append(key)
        shown.update(key)
    phrases = [_display(forms[k]) for k in chosen]
    ranked = sorted(
        group.bag.items(), key=lambda kv: (-(kv[1] * (1 + 0.5 * kv[0].count("_"))), kv[0])
    )
    return ", ".join(phrases)[:200], [k for k, _n in ranked[:8]]


def _inside(small: tuple[str, ...], big: tuple[str, ...]) -> bool:
    n = len(small)
    return any(big[i : i + n] == small for i in range(len(big) - n + 1))


def _display(forms: Counter[str]) -> str:
    """The most frequent written form, preferring one with diacritics among equals."""
    return max(forms.items(), key=lambda kv: (kv[1], kv[0] != fold(kv[0])))[0]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# --- The job -------------------------------------------------------------------------------------


def _baseline(session: Session, *, commune: int, topic: str, now: datetime, tz_name: str) -> int:
    tz = zone(tz_name)
    today = local_day(now, tz)
    r = OpinionRollup
    return int(
        session.scalar(
            select(func.coalesce(func.sum(r.count), 0)).where(
                r.commune_code == commune,
                r.dim == "topic",
                r.value == topic,
                r.day >= today - timedelta(days=spikes.BASELINE_DAYS + 1),
                r.day < today - timedelta(days=1),
            )
        )
        or 0
    )


def _pair_filter(commune: int | None, topic: str) -> list[object]:
    ma = MessageAnalysis
    return [
        ma.commune_code.is_(None) if commune is None else ma.commune_code == commune,
        ma.topic == topic,
    ]


def check_pair(
    session: Session, *, commune: int | None, topic: str, now: datetime, settings: Settings
) -> tuple[spikes.Spike | None, list[EmergingIssue]]:
    """Spike check and regrouping of one commune × topic pair; (the spike, its active issues)."""
    ma = MessageAnalysis
    where = _pair_filter(commune, topic)
    observed = {
        hours: int(
            session.scalar(
                select(func.count()).where(
                    *where,  # type: ignore[arg-type]
                    ma.received_at > now - timedelta(hours=hours),
                    ma.received_at <= now,
                )
            )
            or 0
        )
        for hours in spikes.WINDOWS_HOURS
    }
    baseline = _baseline(
        session,
        commune=NO_COMMUNE if commune is None else commune,
        topic=topic,
        now=now,
        tz_name=settings.timezone,
    )
    spike = spikes.detect(observed=observed, baseline_count=baseline)
    issues = regroup(session, commune=commune, topic=topic, now=now)
    for issue in issues:
        issue.spiking = spike is not None
        issue.observed = spike.observed if spike else observed[max(spikes.WINDOWS_HOURS)]
        issue.expected = (
            spike.expected
            if spike
            else spikes.expected_count(baseline, spikes.BASELINE_DAYS, max(spikes.WINDOWS_HOURS))
        )
    if spike is not None:
        _alert(session, commune=commune, topic=topic, spike=spike, issues=issues, now=now)
    return spike, issues


def _alert(
    session: Session,
    *,
    commune: int | None,
    topic: str,
    spike: spikes.Spike,
    issues: list[EmergingIssue],
    now: datetime,
) -> None:
    oa = OpinionAlert
    recent = session.scalar(
        select(oa.id).where(
            oa.commune_code.is_(None) if commune is None else oa.commune_code == commune,
            oa.topic == topic,
            oa.kind == AlertKind.SPIKE,
            oa.created_at > now - ALERT_EVERY,
        )
    )
    if recent is not None:
        return
    main = max(issues, key=lambda i: i.message_count, default=None)
    session.add(
        OpinionAlert(
            commune_code=commune,
            topic=topic,
            issue_id=main.id if main else None,
            window_hours=spike.window_hours,
            observed=spike.observed,
            expected=round(spike.expected, 3),
            created_at=now,
        )
    )


def regroup(
    session: Session, *, commune: int | None, topic: str, now: datetime
) -> list[EmergingIssue]:
    """Cluster the pair's recent messages and update or create its issues; active issues."""
    ma = MessageAnalysis
    rows = session.execute(
        select(Message.id, Message.text, ma.received_at)
        .join(Message, Message.id == ma.message_id)
        .where(
            *_pair_filter(commune, topic),  # type: ignore[arg-type]
            ma.received_at > now - RECENT,
            ma.received_at <= now,
            Message.direction == Direction.IN,
            Message.text != "",
        )
        .order_by(ma.received_at.desc())
        .limit(MAX_MESSAGES)
    ).all()
    items = [Item(int(i), str(t), at, _cached_tokens(int(i), str(t))) for i, t, at in rows]
    items = [i for i in items if i.words]
    mark_near_duplicates(sorted(items, key=lambda i: (i.received_at, i.message_id)))
    groups = [g for g in cluster(items) if len(g.items) >= MIN_ISSUE]

    ei = EmergingIssue
    existing = list(
        session.scalars(
            select(ei).where(
                ei.commune_code.is_(None) if commune is None else ei.commune_code == commune,
                ei.topic == topic,
                ei.status == IssueStatus.ACTIVE,
            )
        )
    )
    linked: dict[int, set[int]] = {}
    if existing:
        for issue_id, message_id in session.execute(
            select(EmergingIssueMessage.issue_id, EmergingIssueMessage.message_id).where(
                EmergingIssueMessage.issue_id.in_([i.id for i in existing])
            )
        ):
            linked.setdefault(int(issue_id), set()).add(int(message_id))
    active: list[EmergingIssue] = []
    taken: set[int] = set()
    for group in sorted(groups, key=lambda g: -len(g.items)):
        label, keys = label_of(group)
        ids = {i.message_id for i in group.items}
        match = None
        best = 0.0
        for issue in existing:
            if issue.id in taken:
                continue
            overlap = len(ids & linked.get(issue.id, set())) / len(ids)
            score = max(overlap, _jaccard(set(keys), set(issue.keywords or [])))
            if score >= SAME_ISSUE and score > best:
                match, best = issue, score
        first = min(i.received_at for i in group.items)
        last = max(i.received_at for i in group.items)
        if match is None:
            match = EmergingIssue(
                commune_code=commune,
                topic=topic,
                label=label,
                keywords=keys,
                first_seen_at=first,
                last_seen_at=last,
                created_at=now,
                updated_at=now,
            )
            session.add(match)
            session.flush()
        else:
            match.first_seen_at = min(match.first_seen_at, first)
        taken.add(match.id)
        # Messages of the window are re-linked; older links (past the window) stay.
        known = linked.get(match.id, set())
        window_ids = {int(r[0]) for r in rows}
        stale = (known & window_ids) - ids
        if stale:
            session.execute(
                delete(EmergingIssueMessage).where(
                    EmergingIssueMessage.issue_id == match.id,
                    EmergingIssueMessage.message_id.in_(stale),
                )
            )
        for item in group.items:
            if item.message_id not in known:
                session.add(
                    EmergingIssueMessage(
                        issue_id=match.id,
                        message_id=item.message_id,
                        duplicate_of=item.duplicate_of,
                    )
                )
        session.flush()
        match.label = label
        match.keywords = keys
        match.last_seen_at = max(match.last_seen_at, last)
        match.message_count = int(
            session.scalar(select(func.count()).where(EmergingIssueMessage.issue_id == match.id))
            or 0
        )
        match.duplicate_count = int(
            session.scalar(
                select(func.count()).where(
                    EmergingIssueMessage.issue_id == match.id,
                    EmergingIssueMessage.duplicate_of.is_not(None),
                )
            )
            or 0
        )
        match.updated_at = now
        active.append(match)
    return active


def fade(session: Session, *, now: datetime) -> int:
    """Issues with no message for FADE_AFTER fade; a spike not confirmed for a day ends (a pair
    is re-examined only when it gets messages). Issues faded."""
    session.execute(
        update(EmergingIssue)
        .where(EmergingIssue.spiking.is_(True), EmergingIssue.updated_at < now - ALERT_EVERY)
        .values(spiking=False)
    )
    result = session.execute(
        update(EmergingIssue)
        .where(
            EmergingIssue.status == IssueStatus.ACTIVE,
            EmergingIssue.last_seen_at < now - FADE_AFTER,
        )
        .values(status=IssueStatus.FADED, spiking=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def run_emerging(database: Database, settings: Settings, now: datetime) -> int:
    """The worker job: re-examine the pairs touched by new analyses; analyses read."""
    with database.session() as session:
        fade(session, now=now)
        cursor = job_cursor(session, CURSOR)
        rows = new_analyses(session, cursor=cursor, limit=BATCH)
        if not rows:
            return 0
        pairs = {
            (commune, topic)
            for _id, _at, received, commune, topic in rows
            if received > now - RECENT
        }
        last = rows[-1]
        cursor.analysed_at, cursor.message_id = last[1], last[0]
    for commune, topic in sorted(pairs, key=lambda p: (p[0] or 0, p[1])):
        with database.session() as session:
            check_pair(session, commune=commune, topic=topic, now=now, settings=settings)
    return len(rows)
