"""The outbox worker: claims due replies, sends them through their channel, records the outcome.

Order of work in each cycle: rows left `sending` by a dead worker are reconciled first, then due
rows are claimed (committed), sent (no transaction open), and recorded (a new transaction).
On PostgreSQL any number of workers may run (claims use FOR UPDATE SKIP LOCKED); on SQLite one
worker holds the lease "worker:sqlite" and a second one refuses to start.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from datetime import timedelta
from types import FrameType

from danvan.channels.base import Attachment, Button, OutboundMessage, SendResult, SendStatus
from danvan.channels.http import SentState
from danvan.channels.registry import Sender, build_senders
from danvan.inbox import delivery
from danvan.inbox.delivery import Claim
from danvan.kernel import leases, ratelimit
from danvan.kernel.db import Database, supports_skip_locked
from danvan.kernel.jobs import JobRunner
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import split_text

log = logging.getLogger("danvan.worker")

POLL_SECONDS = 1.0
BATCH = 10
SQLITE_LEASE = "worker:sqlite"
PACE_KEY = "broadcast:send"
SQLITE_LEASE_TTL = timedelta(seconds=60)
_ATTACHMENT_FIELDS = {f.name for f in fields(Attachment)}


class WorkerAlreadyRunning(SystemExit):
    """A second worker on SQLite. A SystemExit so that the CLI prints the message and exits 1."""

    def __init__(self, holder: str, until: str) -> None:
        super().__init__(
            f"error: another worker ({holder}) is delivering this SQLite database's outbox "
            f"(its lease runs until {until} UTC). SQLite allows one worker: stop the other one, "
            "or use PostgreSQL to run several."
        )
        self.holder = holder


def run(
    database: Database,
    settings: Settings,
    *,
    once: bool,
    worker_id: str | None = None,
    senders: Mapping[str, Sender] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Deliver the outbox and return how many items were processed.

    `once`: deliver everything due now (looping until nothing is due), then return. Otherwise
    poll until SIGTERM/SIGINT (or `stop` is set), finishing the item in hand first.
    `senders` replaces the registry's (tests); senders built here are closed on return.
    """
    own = senders is None
    worker = Worker(
        database,
        settings,
        worker_id=worker_id,
        senders=build_senders(settings, database) if senders is None else senders,
        stop=stop,
    )
    try:
        return worker.run(once=once)
    finally:
        if own:
            for sender in worker.senders.values():
                sender.close()


class Worker:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        senders: Mapping[str, Sender],
        worker_id: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.senders = senders
        self.id = (worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")[:64]
        self.stop = stop or threading.Event()
        self.skip_locked = supports_skip_locked(database.engine)
        self._lease_renewed = 0.0
        self.jobs = JobRunner(database, settings, holder=self.id)
        self.jobs_done = 0
        # Broadcast pacing: send slots in hand, the second they belong to, paced claims left.
        self._slots = 0
        self._slots_second = utcnow()
        self._paced_left = 0

    # --- the loop ------------------------------------------------------------------------

    def run(self, *, once: bool) -> int:
        if not self.skip_locked:
            self._take_sqlite_lease()
        processed: set[int] = set()
        count = 0
        try:
            with self._signals(enabled=not once):
                log.info("worker %s started (%s)", self.id, "once" if once else "polling")
                while not self.stop.is_set():
                    self._renew_sqlite_lease()
                    try:
                        done = self.cycle(force_jobs=once)
                    except Exception:
                        if once:
                            raise
                        log.exception("worker %s: cycle failed; trying again", self.id)
                        self.stop.wait(POLL_SECONDS)
                        continue
                    if once:
                        processed.update(done)
                        if not done and not self.jobs_done:
                            break
                    else:
                        count += len(done)
                        if not done and not self.jobs_done:
                            self.stop.wait(self._idle_seconds())
        finally:
            if not self.skip_locked:
                with self.database.session() as session:
                    leases.release_lease(session, name=SQLITE_LEASE, holder=self.id)
        total = len(processed) if once else count
        log.info("worker %s stopped after %d item(s)", self.id, total)
        return total

    def cycle(self, *, force_jobs: bool = False) -> list[int]:
        """Run due background jobs, reconcile stale rows, then deliver due ones; the ids of the
        outbox rows handled (the jobs' work is counted in `jobs_done`)."""
        done: list[int] = []
        self.jobs_done = self.jobs.run_due(utcnow(), force=force_jobs)
        with self.database.session() as session:
            stale = delivery.claim_stale(
                session, worker=self.id, limit=BATCH, skip_locked=self.skip_locked
            )
        for claim in stale:
            self._renew_sqlite_lease()
            self._guarded(self.reconcile, claim)
            done.append(claim.outbox_id)
        with self.database.session() as session:
            claims = delivery.claim_due(
                session, worker=self.id, limit=BATCH, skip_locked=self.skip_locked
            )
        self._paced_left = sum(1 for claim in claims if claim.paced)
        for index, claim in enumerate(claims):
            if self.stop.is_set():
                with self.database.session() as session:
                    for left in claims[index:]:
                        delivery.release_claim(session, claim=left)
                break
            self._renew_sqlite_lease()
            self._guarded(self.deliver, claim)
            done.append(claim.outbox_id)
        return done

    def _guarded(self, step: Callable[[Claim], None], claim: Claim) -> None:
        # A failure here (a bug, the database gone) leaves the row `sending`: once its lease
        # expires it is reconciled, so nothing is lost and nothing is sent twice.
        try:
            step(claim)
        except Exception:
            log.exception("outbox %s: %s failed", claim.outbox_id, step.__name__)

    def _idle_seconds(self) -> float:
        with self.database.session() as session:
            due = delivery.next_due(session)
        if due is None:
            return POLL_SECONDS
        return min(POLL_SECONDS, max(0.05, (due - utcnow()).total_seconds()))

    # --- one row -------------------------------------------------------------------------

    def deliver(self, claim: Claim) -> None:
        sender = self.senders.get(claim.channel)
        if sender is None:
            self._record(
                claim,
                SendResult(
                    SendStatus.FAILED,
                    error_code="no_channel",
                    reason=f"Kênh {claim.channel} chưa được cấu hình",
                ),
                started=time.monotonic(),
            )
            return
        parts = self._parts(claim, sender)
        started = time.monotonic()
        if claim.ambiguous_since is not None and claim.parts_sent < len(parts):
            # The last try got no clear answer: the platform may have the part already.
            check = sender.was_sent(
                recipient=claim.recipient,
                text=parts[claim.parts_sent],
                since=claim.ambiguous_since,
                exclude=claim.known_ids,
            )
            if check.state == SentState.FOUND:
                log.info(
                    "outbox %s: part %d found in the platform's history; not sent again",
                    claim.outbox_id,
                    claim.parts_sent + 1,
                )
                if not self._accepted(claim, parts, check.message_id, started):
                    return
            elif check.state == SentState.UNKNOWN and not getattr(
                sender, "resend_when_unknown", True
            ):
                # A platform without history (template messages): a blind resend could send it
                # twice; its receipt, or staff, will settle it.
                with self.database.session() as session:
                    delivery.record_uncertain(session, claim=claim, detail=check.reason)
                return
        while claim.parts_sent < len(parts):
            if not self._keep_lease(claim):
                return
            if claim.paced:
                self._pace()
                self._paced_left = max(0, self._paced_left - 1)
            index = claim.parts_sent
            result = self._send(sender, claim, parts, index)
            if result.status != SendStatus.SENT:
                self._record(claim, result, started=started)
                return
            if not self._accepted(claim, parts, result.platform_message_id, started):
                return
        # Every part had been accepted before this attempt: only the final record was missing.
        self._record(claim, SendResult.sent(None), started=started)

    def _accepted(
        self, claim: Claim, parts: list[str], platform_id: str | None, started: float
    ) -> bool:
        """Bookkeeping after a part is accepted; True while more parts are to be sent."""
        if claim.parts_sent + 1 >= len(parts):
            claim.parts_sent += 1
            if platform_id:
                claim.platform_message_ids.append(platform_id)
            self._record(claim, SendResult.sent(platform_id), started=started)
            return False
        with self.database.session() as session:
            return delivery.record_part(session, claim=claim, platform_message_id=platform_id)

    def _send(self, sender: Sender, claim: Claim, parts: list[str], index: int) -> SendResult:
        key = claim.idempotency_key if len(parts) == 1 else f"{claim.idempotency_key}:{index + 1}"
        message = OutboundMessage(
            recipient=claim.recipient,
            text=parts[index],
            idempotency_key=key,
            attachments=self._attachments(claim) if index == 0 else (),
            # Buttons go under the last part, after the text they answer.
            buttons=self._buttons(claim) if index == len(parts) - 1 else (),
            template=claim.template if index == 0 else None,
        )
        try:
            return sender.send(message)
        except Exception:
            log.exception("outbox %s: sender %s raised", claim.outbox_id, sender.kind)
            return SendResult(
                SendStatus.RETRY, error_code="internal", reason="Lỗi nội bộ khi gửi, sẽ thử lại"
            )

    def reconcile(self, claim: Claim) -> None:
        """A row whose worker died mid-send: find out whether its current part went out."""
        sender = self.senders.get(claim.channel)
        parts = self._parts(claim, sender) if sender is not None else [claim.text]
        if claim.parts_sent >= len(parts):
            # Every part was accepted and saved; only the final bookkeeping was lost.
            self._record(claim, SendResult.sent(None), started=None, outcome="reconciled")
            return
        if sender is None:
            check_state, detail, found_id = SentState.UNKNOWN, "kênh chưa được cấu hình", None
        else:
            check = sender.was_sent(
                recipient=claim.recipient,
                text=parts[claim.parts_sent],
                since=claim.started_at,
                exclude=claim.known_ids,
            )
            check_state, detail, found_id = check.state, check.reason, check.message_id
        if check_state == SentState.FOUND:
            log.info(
                "outbox %s: part %d was sent before the crash (%s); not sending it again",
                claim.outbox_id,
                claim.parts_sent + 1,
                found_id,
            )
            if claim.parts_sent + 1 >= len(parts):
                claim.parts_sent += 1
                if found_id:
                    claim.platform_message_ids.append(found_id)
                self._record(claim, SendResult.sent(found_id), started=None, outcome="reconciled")
                return
            with self.database.session() as session:
                if delivery.record_part(session, claim=claim, platform_message_id=found_id):
                    delivery.record_requeued(
                        session,
                        claim=claim,
                        outcome="reconciled",
                        error="Phần đã gửi trước khi worker dừng; gửi tiếp phần còn lại",
                    )
            return
        with self.database.session() as session:
            if check_state == SentState.NOT_FOUND:
                log.info("outbox %s: not sent before the crash; queued again", claim.outbox_id)
                delivery.record_requeued(
                    session,
                    claim=claim,
                    outcome="crashed",
                    error="Worker dừng giữa chừng; tin chưa được gửi, sẽ gửi lại",
                )
            else:
                log.warning(
                    "outbox %s: cannot tell whether it was sent: %s", claim.outbox_id, detail
                )
                delivery.record_uncertain(session, claim=claim, detail=detail)

    # --- helpers -------------------------------------------------------------------------

    def _parts(self, claim: Claim, sender: Sender) -> list[str]:
        return split_text(claim.text, sender.max_text) or [""]

    def _attachments(self, claim: Claim) -> tuple[Attachment, ...]:
        return tuple(
            Attachment(**{k: v for k, v in item.items() if k in _ATTACHMENT_FIELDS})
            for item in claim.attachments
            if isinstance(item, dict) and item.get("type")
        )

    def _buttons(self, claim: Claim) -> tuple[Button, ...]:
        return tuple(
            Button(title=str(b["title"]), payload=str(b["payload"]), type=str(b.get("type") or ""))
            for b in claim.buttons
            if isinstance(b, dict) and b.get("title") and b.get("payload") and b.get("type")
        )

    def _record(
        self,
        claim: Claim,
        result: SendResult,
        *,
        started: float | None,
        outcome: str | None = None,
    ) -> None:
        duration_ms = int((time.monotonic() - started) * 1000) if started is not None else None
        with self.database.session() as session:
            status = delivery.record_result(
                session,
                claim=claim,
                result=result,
                max_attempts=self.settings.outbox_max_attempts,
                duration_ms=duration_ms,
                outcome=outcome,
            )
        log.info(
            "outbox %s (message %s, %s): %s%s",
            claim.outbox_id,
            claim.message_id,
            claim.channel,
            status,
            f" [{result.error_code}] {result.reason}" if result.status != SendStatus.SENT else "",
        )

    def _pace(self) -> None:
        """Wait for a send slot of the broadcast rate, shared by every worker through one row
        per wall-clock second in the database. Slots are taken a batch at a time (up to the
        claims in hand) and dropped when their second is over."""
        limit = self.settings.outreach_rate_per_second
        while not self.stop.is_set():
            now = utcnow()
            if self._slots and self._slots_second == now.replace(microsecond=0):
                self._slots -= 1
                return
            with self.database.session() as session:
                granted, second = ratelimit.take_send_slots(
                    session, key=PACE_KEY, limit=limit, want=max(1, self._paced_left), now=now
                )
            self._slots, self._slots_second = granted, second
            if granted:
                self._slots -= 1
                return
            self.stop.wait(1.0 - now.microsecond / 1_000_000 + 0.001)

    def _keep_lease(self, claim: Claim) -> bool:
        """Renew the row's lease when half of it is gone; False if the row is no longer ours."""
        if claim.lease_until - utcnow() > delivery.LEASE / 2:
            return True
        with self.database.session() as session:
            if delivery.renew_lease(session, claim=claim):
                return True
        log.error("outbox %s: lease lost to another worker; leaving it", claim.outbox_id)
        return False

    def _take_sqlite_lease(self) -> None:
        with self.database.session() as session:
            lease = leases.take_lease(
                session, name=SQLITE_LEASE, holder=self.id, ttl=SQLITE_LEASE_TTL
            )
            if lease is None:
                held = leases.get_lease(session, name=SQLITE_LEASE)
                holder = held.holder if held else "?"
                until = f"{held.until:%H:%M:%S}" if held else "?"
                raise WorkerAlreadyRunning(holder, until)
        self._lease_renewed = time.monotonic()

    def _renew_sqlite_lease(self) -> None:
        if self.skip_locked:
            return
        if time.monotonic() - self._lease_renewed < SQLITE_LEASE_TTL.total_seconds() / 3:
            return
        self._take_sqlite_lease()

    @contextmanager
    def _signals(self, *, enabled: bool) -> Iterator[None]:
        """SIGTERM/SIGINT set the stop flag: the item in hand is finished, the rest released."""
        if not enabled or threading.current_thread() is not threading.main_thread():
            yield
            return

        def _stop(signum: int, _frame: FrameType | None) -> None:
            log.info("worker %s: signal %d, stopping", self.id, signum)
            self.stop.set()

        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
