"""Sending template messages (zalo.md §5–6): `POST {zns base}/message/template` with `phone`
(84…), `template_id`, `template_data`, `tracking_id` (our idempotency key) and the OA's
`access_token` header; `"mode": "development"` when the deployment says so.

zalo.md marks the newer `POST {OA base}/v3.0/oa/message/template` by `user_id` UNCONFIRMED: it is
used only when `DANVAN_ZALO_ZNS_SEND_BY=user_id` and the citizen has an OA user id, and the sender
logs which one the deployment uses.

Errors come back with HTTP 200 and `error != 0` (ZNS has its own table, `ERRORS`). A refusal
for balance or daily quota is a *hold*: the account row (`ZnsAccount`) keeps it, every template
message waits until it ends without using up its attempts, and admins see why.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from danvan.channels.base import OutboundMessage, SendResult, SendStatus
from danvan.channels.http import HttpTransport, SentCheck, TransportError
from danvan.channels.tokens import TokenSnapshot
from danvan.channels.zalo_oa.oauth import EXPIRED_REASON, OATokenProvider, TokenUnavailable
from danvan.channels.zalo_oa.outbound import classify as classify_oa
from danvan.channels.zalo_zns import catalog
from danvan.kernel import clock
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings

log = logging.getLogger("danvan.channels.zalo_zns")

SEND_BY_PHONE = "/message/template"
SEND_BY_USER = "/v3.0/oa/message/template"
# A template message is one call whatever the length of the notice's text.
MAX_TEXT = 1_000_000
TOKEN_ERRORS = {-124, -216, -220}
_PHONE = re.compile(r"84\d{9,10}")
# Zalo answers -115 when the account's balance is out: hold this long, then try again.
BALANCE_HOLD = timedelta(hours=1)
# The daily quota's code is not in zalo.md (UNCONFIRMED); the quota read from the API
# (`remainingQuota` 0) holds sends before Zalo has to refuse one.
QUOTA_CODES = {-144}
NIGHT_CODES = {-133}
NIGHT_START, NIGHT_END = 22, 6

# code -> (what to do, what staff read). Codes not listed: FAILED with Zalo's own words.
ERRORS: dict[int, tuple[SendStatus, str]] = {
    -108: (SendStatus.UNREACHABLE, "Số điện thoại không hợp lệ để nhận tin mẫu Zalo"),
    -115: (SendStatus.RETRY, "Tài khoản gửi tin mẫu Zalo đã hết số dư; quản trị viên cần nạp"),
    -133: (SendStatus.RETRY, "Không được gửi tin mẫu ban đêm (22:00–06:00), sẽ gửi lúc 06:00"),
    -144: (SendStatus.RETRY, "OA đã hết hạn mức tin mẫu trong ngày, sẽ gửi khi có hạn mức mới"),
}


def zns_phone(phone: str | None) -> str | None:
    """A shared phone in the form ZNS takes (84 + the number without its leading 0), or None
    when it cannot be one (foreign numbers, landline fragments)."""
    digits = re.sub(r"[\s.()-]", "", phone or "")
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits if _PHONE.fullmatch(digits) else None


def next_local_hour(hour: int, *, timezone: str, now: datetime | None = None) -> datetime:
    """The next instant it is `hour`:00 local time (UTC-aware)."""
    local = (now or clock.now()).astimezone(ZoneInfo(timezone))
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)
    return at.astimezone(ZoneInfo("UTC"))


def night_until(*, timezone: str, now: datetime | None = None) -> datetime | None:
    """06:00 local when `now` is in ZNS's night window (22:00–06:00), else None."""
    local = (now or clock.now()).astimezone(ZoneInfo(timezone))
    if NIGHT_END <= local.hour < NIGHT_START:
        return None
    return next_local_hour(NIGHT_END, timezone=timezone, now=now)


class _Failed(Exception):
    def __init__(self, result: SendResult) -> None:
        super().__init__(result.reason)
        self.result = result


class ZaloZNSSender:
    """Sends template messages as the OA. `recipient` is the phone (84…); the message's
    `template` is `{"template_id", "template_data", "user_id"?}`."""

    kind = "zalo_zns"
    max_text = MAX_TEXT
    # After a crash or a lost answer nothing tells whether Zalo took the template message (no
    # history to read; only its receipt will): never sent again on our own.
    resend_when_unknown = False

    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        tokens: OATokenProvider,
        transport: HttpTransport | None = None,
        oa_transport: HttpTransport | None = None,
    ) -> None:
        self.database = database
        self.tokens = tokens
        self.timezone = settings.timezone
        self.development = settings.zalo_zns_development
        self.by_user = settings.zalo_zns_send_by == "user_id"
        self.transport = transport or HttpTransport(
            name="zalo_zns", base_url=settings.zalo_zns_api_base, timeout=settings.http_timeout
        )
        self.oa_transport = oa_transport or HttpTransport(
            name="zalo_zns", base_url=settings.zalo_oa_api_base, timeout=settings.http_timeout
        )
        if self.by_user:
            log.info(
                "template messages go by OA user id to %s%s (UNCONFIRMED endpoint; by phone "
                "to %s%s for citizens without one)",
                settings.zalo_oa_api_base,
                SEND_BY_USER,
                settings.zalo_zns_api_base,
                SEND_BY_PHONE,
            )
        else:
            log.info(
                "template messages go by phone to %s%s", settings.zalo_zns_api_base, SEND_BY_PHONE
            )

    def send(self, message: OutboundMessage) -> SendResult:
        template = message.template or {}
        template_id = str(template.get("template_id") or "")
        data = template.get("template_data")
        if not template_id or not isinstance(data, dict):
            return SendResult(
                SendStatus.FAILED, error_code="no_template", reason="Thiếu mẫu tin nhắn Zalo"
            )
        held = self._held()
        if held is not None:
            return held
        body: dict[str, Any] = {
            "template_id": template_id,
            "template_data": {str(k): str(v) for k, v in data.items()},
            "tracking_id": message.idempotency_key,
        }
        if self.development:
            body["mode"] = "development"
        user_id = str(template.get("user_id") or "")
        if self.by_user and user_id:
            body["user_id"] = user_id
            transport, path = self.oa_transport, SEND_BY_USER
        else:
            phone = zns_phone(message.recipient)
            if phone is None:
                return SendResult(
                    SendStatus.UNREACHABLE,
                    error_code="bad_phone",
                    reason="Số điện thoại không dùng được để nhận tin mẫu Zalo",
                )
            body["phone"] = phone
            transport, path = self.transport, SEND_BY_PHONE
        try:
            answer = self._call(transport, path, body)
        except _Failed as failed:
            return failed.result
        answer_data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        quota = answer_data.get("quota") if answer_data else None
        if isinstance(quota, dict):
            with self.database.session() as session:
                catalog.store_quota(session, quota)
        message_id = (answer_data or {}).get("msg_id") or (answer_data or {}).get("message_id")
        return SendResult.sent(str(message_id) if message_id else None)

    def was_sent(
        self, *, recipient: str, text: str, since: datetime, exclude: frozenset[str] = frozenset()
    ) -> SentCheck:
        """ZNS keeps no history we could search by our tracking id: only the delivery receipt
        (matched by it) will tell."""
        return SentCheck.unknown("Tin mẫu Zalo không tra cứu được; chờ biên nhận của Zalo")

    # --- holds ---------------------------------------------------------------------------

    def _held(self) -> SendResult | None:
        """A hold in force (balance, quota): the result that keeps the row waiting."""
        now = clock.now()
        with self.database.session() as session:
            account = catalog.account(session)
            if account is None:
                return None
            until = account.hold_until
            if until is not None and until > now:
                return _hold(account.hold_code or "hold", account.hold_reason or "", until, now)
            if account.remaining_quota == 0 and account.quota_read_at is not None:
                midnight = next_local_hour(0, timezone=self.timezone, now=account.quota_read_at)
                if midnight > now:
                    reason = ERRORS[-144][1]
                    catalog.set_hold(session, code="quota", reason=reason, until=midnight)
                    return _hold("quota", reason, midnight, now)
        return None

    def _hold_for(self, code: int, text: str) -> SendResult:
        now = clock.now()
        if code in QUOTA_CODES:
            until = next_local_hour(0, timezone=self.timezone)
        else:
            until = now + BALANCE_HOLD
        reason = f"{text} ({code})"
        with self.database.session() as session:
            catalog.set_hold(session, code=str(code), reason=reason, until=until)
        log.warning("template messages held until %s: %s", until.isoformat(), reason)
        return _hold(str(code), reason, until, now)

    # --- plumbing ------------------------------------------------------------------------

    def _token(self) -> TokenSnapshot:
        try:
            return self.tokens.current()
        except TokenUnavailable as exc:
            status = SendStatus.RETRY if exc.transient else SendStatus.FAILED
            raise _Failed(SendResult(status, error_code=exc.code, reason=exc.reason)) from exc

    def _call(self, transport: HttpTransport, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = self._token()
        for first_try in (True, False):
            try:
                reply = transport.call(
                    "POST",
                    path,
                    headers={"access_token": token.access_token},
                    json=body,
                    error_code=catalog.error_text,
                    secrets=(token.access_token,),
                )
            except TransportError as exc:
                raise _Failed(
                    SendResult(
                        SendStatus.RETRY,
                        error_code=exc.code,
                        reason=f"Không kết nối được Zalo ({exc.code})",
                    )
                ) from exc
            code = catalog.error_of(reply.body)
            if code == 0 and isinstance(reply.body, dict):
                return reply.body
            if code in TOKEN_ERRORS and first_try:
                try:
                    token = self.tokens.refresh(stale=token)
                except TokenUnavailable as exc:
                    raise _Failed(
                        SendResult(SendStatus.FAILED, error_code=exc.code, reason=exc.reason)
                    ) from exc
                continue
            if code is None:
                status = (
                    SendStatus.RETRY
                    if reply.status >= 500 or reply.status in (200, 429)
                    else SendStatus.FAILED
                )
                raise _Failed(
                    SendResult(
                        status,
                        error_code=f"http_{reply.status}",
                        reason=f"Zalo trả lời không đọc được (HTTP {reply.status})",
                    )
                )
            raise _Failed(self._classify(code, reply.body))
        raise AssertionError("unreachable")  # pragma: no cover

    def _classify(self, code: int, body: Any) -> SendResult:
        if code in TOKEN_ERRORS:
            return SendResult(SendStatus.FAILED, error_code=str(code), reason=EXPIRED_REASON)
        if code == -115 or code in QUOTA_CODES:
            return self._hold_for(code, ERRORS.get(code, ERRORS[-144])[1])
        if code in NIGHT_CODES:
            until = night_until(timezone=self.timezone) or next_local_hour(
                NIGHT_END, timezone=self.timezone
            )
            wait = max(0.0, (until - clock.now()).total_seconds())
            return SendResult(
                SendStatus.RETRY,
                error_code=str(code),
                reason=f"{ERRORS[-133][1]} ({code})",
                retry_after=wait,
                hold=True,
            )
        if code in ERRORS:
            status, text = ERRORS[code]
            return SendResult(status, error_code=str(code), reason=f"{text} ({code})")
        # By user id the OA API's own codes come back (-213, -230…): its table applies.
        return classify_oa(code, body, timezone=self.timezone)

    def close(self) -> None:
        self.transport.close()
        self.oa_transport.close()
        self.tokens.close()


def _hold(code: str, reason: str, until: datetime, now: datetime) -> SendResult:
    return SendResult(
        SendStatus.RETRY,
        error_code=code[:32],
        reason=reason,
        retry_after=max(1.0, (until - now).total_seconds()),
        hold=True,
    )
