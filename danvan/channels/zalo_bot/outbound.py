"""Sending through the Zalo Bot API (zalo.md §7): `POST {base}/bot<token>/sendMessage`.

The answer is `{"ok": true, "result": {"message_id", "date"}}` or
`{"ok": false, "error_code": N, "description": "..."}`; `ok` decides, not the HTTP status.
The token is in the URL path, so every logged path is redacted (see `danvan.channels.http`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from danvan.channels.base import OutboundMessage, SendResult, SendStatus
from danvan.channels.http import HttpReply, HttpTransport, SentCheck, TransportError
from danvan.kernel.settings import Settings

MAX_TEXT = 2000
# Descriptions that say the citizen cannot be reached, whatever the code.
_UNREACHABLE_WORDS = ("block", "chặn", "chat not found", "user not found", "not allowed")


def _error_code(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("ok") is False:
        return str(body.get("error_code") or "?")
    return None


def with_button_lines(message: OutboundMessage) -> str:
    """The Bot API has no buttons: each button becomes a line (what to type, or the link),
    unless the text already shows its payload (outreach texts list their codes themselves)."""
    lines = [
        f"• {b.title}: nhắn “{b.payload}”"
        if b.type.startswith("oa.query")
        else f"• {b.title}: {b.payload}"
        for b in message.buttons
        if b.payload not in message.text
    ]
    if not lines:
        return message.text
    text = "\n".join([message.text, *lines])
    return text if len(text) <= MAX_TEXT else message.text


class ZaloBotSender:
    kind = "zalo_bot"
    max_text = MAX_TEXT

    def __init__(self, *, settings: Settings, transport: HttpTransport | None = None) -> None:
        self.token = settings.zalo_bot_token
        self.transport = transport or HttpTransport(
            name="zalo_bot",
            base_url=settings.zalo_bot_api_base,
            timeout=settings.http_timeout,
            secrets=(settings.zalo_bot_token,),
        )

    def send(self, message: OutboundMessage) -> SendResult:
        """Send one text (at most 2,000 characters). Images are not sent by this channel yet."""
        if not self.token:
            return SendResult(
                SendStatus.FAILED,
                error_code="no_token",
                reason="Chưa cấu hình token Zalo Bot (DANVAN_ZALO_BOT_TOKEN)",
            )
        try:
            reply = self.transport.call(
                "POST",
                f"/bot{self.token}/sendMessage",
                json={"chat_id": message.recipient, "text": with_button_lines(message)},
                headers={"X-Idempotency-Key": message.idempotency_key},
                error_code=_error_code,
            )
        except TransportError as exc:
            return SendResult(
                SendStatus.RETRY,
                error_code=exc.code,
                reason=f"Không kết nối được Zalo Bot ({exc.code}), sẽ gửi lại",
            )
        body = reply.body
        if isinstance(body, dict) and body.get("ok") is True:
            result = body.get("result")
            message_id = result.get("message_id") if isinstance(result, dict) else None
            return SendResult.sent(str(message_id) if message_id not in (None, "") else None)
        return classify(reply)

    def was_sent(
        self,
        *,
        recipient: str,
        text: str,
        since: datetime,
        exclude: frozenset[str] = frozenset(),
    ) -> SentCheck:
        """The Bot API keeps no history we can read: we can never tell."""
        return SentCheck.unknown("Zalo Bot API không có lịch sử tin nhắn để đối chiếu")

    def close(self) -> None:
        self.transport.close()


def classify(reply: HttpReply) -> SendResult:
    """A refusal: 429/5xx retry later, a blocked citizen is unreachable, the rest failed."""
    body = reply.body if isinstance(reply.body, dict) else {}
    try:
        code = int(body.get("error_code") or reply.status)
    except (TypeError, ValueError):
        code = reply.status
    description = str(body.get("description") or "")[:200]
    said = f": {description}" if description else ""
    if code == 429 or code >= 500 or reply.status == 429 or reply.status >= 500:
        parameters = body.get("parameters")
        retry_after = reply.retry_after()
        if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
            retry_after = float(parameters["retry_after"])
        return SendResult(
            SendStatus.RETRY,
            error_code=str(code),
            reason=f"Zalo Bot tạm thời lỗi{said} ({code}), sẽ gửi lại",
            retry_after=retry_after,
        )
    if not body and reply.status == 200:
        return SendResult(
            SendStatus.RETRY,
            error_code="bad_response",
            reason="Zalo Bot trả lời không đọc được, sẽ gửi lại",
        )
    if code == 403 or any(word in description.lower() for word in _UNREACHABLE_WORDS):
        return SendResult(
            SendStatus.UNREACHABLE,
            error_code=str(code),
            reason=f"Người dân đã chặn Bot hoặc không nhận được tin{said} ({code})",
        )
    if code in (401, 404):
        return SendResult(
            SendStatus.FAILED,
            error_code=str(code),
            reason=f"Token Zalo Bot không hợp lệ, quản trị viên cần kiểm tra{said} ({code})",
        )
    return SendResult(
        SendStatus.FAILED, error_code=str(code), reason=f"Zalo Bot từ chối tin{said} ({code})"
    )
