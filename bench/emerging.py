"""Emerging-issue benchmark: a replayed stream with injected bursts; detection delay and false
alarms per day.

Background: real public comments from ../shared/data (VSFC, ViCTSD, ViHSD train splits; read
here at bench time only, never copied into the repository), replayed over WEEKS simulated
weeks at RATE messages a day with a day/night rhythm, spread over the communes of Tuyên Quang
(busier and quieter ones) and given topics by a fixed distribution (as a classifier would).
Bursts: project-written messages about one matter in one commune, injected on the last week.
The worker's jobs (rollups, then emerging issues) run every STEP simulated minutes on a scratch
SQLite database, exactly as in production; every alert is compared with the bursts.

    .venv/bin/python -m bench.emerging                       # 6 weeks, 400 messages/day
Options: --weeks 6 --rate 400 --step 15 --data DIR --seed 1 (data: --data, else DANVAN_DATA_DIR,
else ../shared/data next to the checkout)
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from danvan.inbox.models import Contact, Conversation, Message
from danvan.kernel import geo, taxonomy
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.migrations import upgrade
from danvan.opinion import emerging
from danvan.opinion.models import EmergingIssue, MessageAnalysis, OpinionAlert
from danvan.opinion.rollups import run_rollups
from danvan.testing.data import HINT, DataMissing, data_dir

ROOT = Path(__file__).resolve().parent.parent
PROVINCE = 8
TOPIC_WEIGHTS = [8, 6, 14, 12, 7, 5, 9, 5, 10, 6, 8, 3, 7]
# Hourly weights of a day (local time): quiet nights, busy mornings and evenings.
HOURS = [1, 1, 1, 1, 1, 2, 4, 7, 9, 9, 8, 7, 6, 6, 7, 7, 7, 6, 7, 8, 7, 5, 3, 2]


@dataclass(frozen=True)
class Burst:
    name: str
    commune: int
    topic: str
    day: int  # simulated day it starts
    hour: float  # local hour it starts
    hours: float  # spread over
    texts: tuple[str, ...]


LANDSLIDE = (
    "Sạt lở đất tại đường liên thôn Nặm Đường, xe không qua được",
    "Đường liên thôn Nặm Đường sạt lở nặng sau mưa, đề nghị xã xử lý gấp",
    "sat lo duong lien thon Nam Duong, dat da tran xuong mat duong",
    "Đoạn đường liên thôn Nặm Đường bị sạt lở, học sinh không đến trường được",
    "Sạt lở đường liên thôn Nặm Đường vẫn chưa được dọn",
    "Bà con thôn Nặm Đường bị cô lập vì sạt lở đường liên thôn",
    "Đường liên thôn Nặm Đường sạt lở thêm một đoạn nữa, rất nguy hiểm",
    "De nghi xa cho may xuc don dat sat lo duong lien thon Nam Duong",
    "Sạt lở đất tại đường liên thôn Nặm Đường, xe không qua được",
    "sạt lở đường liên thôn nặm đường ko ai xử lý à",
    "Sáng nay đường liên thôn Nặm Đường lại sạt lở, cây đổ chắn ngang",
    "Học sinh thôn Nặm Đường nghỉ học vì sạt lở đường liên thôn",
    "Xe cứu thương không vào được thôn Nặm Đường vì sạt lở",
    "Sạt lở đường liên thôn Nặm Đường, nhờ xã báo huyện hỗ trợ",
    "duong lien thon Nam Duong sat lo nguy hiem qua",
)
WATER = (
    "Nước sinh hoạt khu phố 3 bị đục và có mùi từ sáng nay",
    "Nuoc may khu pho 3 co mui la, gia dinh khong dam dung",
    "Nước máy khu phố 3 màu vàng đục, đề nghị kiểm tra",
    "Khu phố 3 nước sinh hoạt có mùi, trẻ con bị đau bụng",
    "Nước sinh hoạt khu phố 3 vẫn đục, bao giờ xử lý",
    "Đề nghị công ty nước kiểm tra nước sinh hoạt khu phố 3",
)


def load_background(folder: Path) -> list[str]:
    texts = []
    for name in ("vsfc", "victsd", "vihsd"):
        path = folder / name / "train.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            texts.extend(row["text"] for row in csv.DictReader(handle) if row.get("text"))
    if not texts:
        raise SystemExit(f"error: no background data under {folder}: {HINT}")
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--rate", type=int, default=400, help="background messages a day")
    parser.add_argument("--step", type=int, default=15, help="minutes between job runs")
    parser.add_argument(
        "--data",
        help="folder with vsfc/, victsd/, vihsd/ (default: $DANVAN_DATA_DIR, ../shared/data)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    try:
        folder = data_dir(args.data)
    except DataMissing as exc:
        raise SystemExit(f"error: {exc}") from None
    texts = load_background(folder)
    communes = [c.code for c in geo.province(PROVINCE).communes]
    busy = [rng.uniform(0.2, 4.0) for _ in communes]
    topics = [t.code for t in taxonomy.DEFAULT_TOPICS]
    days = args.weeks * 7
    start = datetime(2026, 10, 1, 17, 0, tzinfo=UTC)  # local midnight (UTC+7)
    bursts = [
        Burst("landslide, 15 messages in 3 h", 2302, "roads", days - 5, 8.0, 3.0, LANDSLIDE),
        Burst("dirty water, 6 messages in 8 h", 2509, "utilities", days - 3, 9.0, 8.0, WATER),
    ]

    # The stream: (time, commune, topic, text, burst name or "").
    stream: list[tuple[datetime, int, str, str, str]] = []
    for day in range(days):
        for _ in range(int(rng.gauss(args.rate, args.rate * 0.1))):
            hour = rng.choices(range(24), HOURS)[0] + rng.random()
            at = start + timedelta(days=day, hours=hour)
            commune = rng.choices(communes, busy)[0]
            topic = rng.choices(topics, TOPIC_WEIGHTS)[0]
            stream.append((at, commune, topic, rng.choice(texts), ""))
    for burst in bursts:
        for i, text in enumerate(burst.texts):
            at = start + timedelta(
                days=burst.day, hours=burst.hour + burst.hours * i / len(burst.texts)
            )
            stream.append((at, burst.commune, burst.topic, text, burst.name))
    stream.sort(key=lambda s: s[0])
    first = {b.name: start + timedelta(days=b.day, hours=b.hour) for b in bursts}
    print(
        f"stream: {len(stream):,} messages over {days} days ({args.rate}/day background from "
        f"{len(texts):,} real comments), {len(bursts)} bursts; jobs every {args.step} min"
    )

    folder = Path(tempfile.mkdtemp(prefix="danvan-emerging-"))
    url = f"sqlite:///{folder / 'emerging.db'}"
    upgrade(url)
    settings = Settings(database_url=url, province=PROVINCE, _env_file=None)  # type: ignore[call-arg]
    database = Database(url)
    with database.session() as session:
        contact = Contact(channel="zalo_oa", external_id="bench", display_name="bench")
        session.add(contact)
        session.flush()
        conversation = Conversation(contact_id=contact.id, channel="zalo_oa")
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id

    clock = start
    end = start + timedelta(days=days)
    position = 0
    cycles = 0
    began = time.perf_counter()
    while clock < end:
        clock += timedelta(minutes=args.step)
        batch = []
        while position < len(stream) and stream[position][0] <= clock:
            batch.append(stream[position])
            position += 1
        if batch:
            with database.session() as session:
                for at, commune, topic, text, _b in batch:
                    message_id = session.execute(
                        insert(Message).returning(Message.id),
                        {
                            "conversation_id": conversation_id,
                            "channel": "zalo_oa",
                            "direction": "in",
                            "text": text[:2000],
                            "created_at": at,
                        },
                    ).scalar_one()
                    session.execute(
                        insert(MessageAnalysis),
                        {
                            "message_id": message_id,
                            "commune_code": commune,
                            "channel": "zalo_oa",
                            "received_at": at,
                            "topic": topic,
                            "sentiment": "negative",
                            "kind": "complaint",
                            "urgent": False,
                            "abusive": False,
                            "confidence": 0.5,
                            "model_version": "bench",
                            "analysed_at": at,
                        },
                    )
        run_rollups(database, settings, clock)
        emerging.run_emerging(database, settings, clock)
        cycles += 1
    elapsed = time.perf_counter() - began

    with database.session() as session:
        alerts = session.scalars(select(OpinionAlert).order_by(OpinionAlert.created_at)).all()
        labels = {i.id: i.label for i in session.scalars(select(EmergingIssue))}
    false_by_day: Counter[int] = Counter()
    per_cycle = elapsed / cycles * 1000
    print(f"\nreplayed in {elapsed:.0f} s ({cycles:,} job cycles, {per_cycle:.0f} ms each)")
    for burst in bursts:
        hit = next(
            (
                a
                for a in alerts
                if a.commune_code == burst.commune
                and a.topic == burst.topic
                and a.created_at >= first[burst.name]
            ),
            None,
        )
        if hit is None:
            print(f"burst '{burst.name}': NOT detected")
            continue
        delay = (hit.created_at - first[burst.name]).total_seconds() / 60
        n_before = sum(
            1
            for t, c, _tp, _x, name in stream
            if name == burst.name and t <= hit.created_at and c == burst.commune
        )
        print(
            f"burst '{burst.name}': detected after {delay:.0f} min, at its message {n_before} "
            f"(window {hit.window_hours} h, {hit.observed} observed vs {hit.expected:.2f} "
            f"expected); issue: {labels.get(hit.issue_id or 0, '-')}"
        )
    burst_pairs = {(b.commune, b.topic) for b in bursts}
    for alert in alerts:
        if (alert.commune_code, alert.topic) in burst_pairs and alert.created_at >= min(
            first.values()
        ):
            continue
        false_by_day[(alert.created_at - start).days] += 1
    baseline_days = days - 28  # the first four weeks build the baselines
    measured = range(28, days)
    false_total = sum(n for d, n in false_by_day.items() if d in measured)
    print(
        f"false alarms: {false_total} over {baseline_days} days after the 28-day warm-up "
        f"({false_total / max(baseline_days, 1):.2f} a day, province of {len(communes)} communes × "
        f"{len(topics)} topics); in the warm-up: "
        f"{sum(n for d, n in false_by_day.items() if d not in measured)}"
    )
    if false_by_day:
        print("false alarms by day:", dict(sorted(false_by_day.items())))
    database.dispose()


if __name__ == "__main__":
    main()
