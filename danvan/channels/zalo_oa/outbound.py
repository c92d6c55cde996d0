"""Sending through the Zalo OA Open API v3 (facts in zalo.md §3): text, one image, and the
conversation history that tells whether a message went out before a crash.

Errors come back with HTTP 200 and `error != 0`. Which errors are final, and what staff read for
each, is declared as data in `ERRORS` below.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from danvan.channels.base import Attachment, Button, OutboundMessage, SendResult, SendStatus
from danvan.channels.http import HttpReply, HttpTransport, SentCheck, SentState, TransportError
from danvan.channels.tokens import TokenSnapshot
from danvan.channels.web.inbound import MEDIA_PREFIX
from danvan.channels.zalo_oa.oauth import (
    EXPIRED_REASON,
    OATokenProvider,
    TokenUnavailable,
)
from danvan.kernel import clock, media_store
from danvan.kernel.db import Database
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean

log = logging.getLogger("danvan.channels.zalo_oa")

MAX_TEXT = 2000
MAX_IMAGE_BYTES = 1024 * 1024
# Photos danvan stores have random names (see `danvan.kernel.media_store`).
_MEDIA_NAME = re.compile(r"[0-9A-Za-z_-]{1,64}\.(?:jpg|jpeg|png|webp)")
# Refresh the token once and retry once on these.
TOKEN_ERRORS = {-216, -220}
# Reading the history: pages of 10 (the API's maximum), a bounded look back.
HISTORY_PAGE = 10
HISTORY_PAGES = 5
# Zalo's clock and ours may differ a little; look this far before the attempt started.
CLOCK_SKEW = timedelta(seconds=60)

# code -> (what to do, what staff read). Codes not listed are FAILED with Zalo's own words.
ERRORS: dict[int, tuple[SendStatus, str]] = {
    -32: (SendStatus.RETRY, "Zalo giới hạn tần suất gọi API, sẽ gửi lại sau"),
    -100: (SendStatus.FAILED, "Tệp đính kèm đã hết hạn"),
    -200: (SendStatus.FAILED, "Zalo gửi tin thất bại"),
    -201: (SendStatus.FAILED, "Tham số gửi tin không hợp lệ"),
    -204: (SendStatus.FAILED, "OA đã bị vô hiệu hoá"),
    -205: (SendStatus.FAILED, "OA không tồn tại"),
    -209: (SendStatus.FAILED, "Ứng dụng chưa được kích hoạt hoặc không hỗ trợ API này"),
    -210: (SendStatus.FAILED, "Tham số vượt quá giới hạn cho phép"),
    -211: (SendStatus.FAILED, "OA đã hết hạn mức gửi tin"),
    -212: (SendStatus.FAILED, "Ứng dụng chưa đăng ký API này"),
    -213: (SendStatus.UNREACHABLE, "Người dân chưa quan tâm OA"),
    -217: (SendStatus.UNREACHABLE, "Người dân đã chặn tin nhắn từ OA"),
    -218: (SendStatus.UNREACHABLE, "Người dân đã nhận quá số tin cho phép"),
    -219: (SendStatus.FAILED, "Ứng dụng đã bị gỡ hoặc vô hiệu hoá"),
    -221: (SendStatus.FAILED, "OA cần được xác thực"),
    -223: (SendStatus.FAILED, "OA chưa cấp quyền cho API này"),
    -224: (SendStatus.FAILED, "Gói dịch vụ của OA không hỗ trợ thao tác này"),
    -227: (SendStatus.UNREACHABLE, "Tài khoản người dân bị khoá hoặc không hoạt động quá 45 ngày"),
    -230: (SendStatus.UNREACHABLE, "Người dân không tương tác với OA trong 7 ngày qua"),
    -232: (SendStatus.UNREACHABLE, "Người dân chưa tương tác hoặc đã hết thời hạn trả lời"),
    -233: (SendStatus.FAILED, "Loại tin nhắn không hợp lệ hoặc không được hỗ trợ"),
    -234: (SendStatus.RETRY, "Không được gửi tin vào ban đêm (22:00–06:00), sẽ gửi lúc 06:00"),
    -235: (SendStatus.FAILED, "API không hỗ trợ loại OA này"),
    -240: (SendStatus.FAILED, "API gửi tin phiên bản cũ đã ngừng"),
    -242: (SendStatus.FAILED, "appsecret_proof không hợp lệ"),
    -244: (SendStatus.UNREACHABLE, "Người dân đã chặn loại tin nhắn này"),
    -248: (SendStatus.FAILED, "Tin nhắn vi phạm tiêu chuẩn của Zalo"),
}


class _Failed(Exception):
    """Ends a call early with the result to report."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(result.reason)
        self.result = result


def _error(body: Any) -> int | None:
    """Zalo's `error` field; 0 means success. None when the body has none."""
    if not isinstance(body, dict) or "error" not in body:
        return None
    try:
        return int(body["error"])
    except (TypeError, ValueError):
        return None


def _error_text(body: Any) -> str | None:
    code = _error(body)
    return str(code) if code else None


def _night_wait(timezone: str) -> float:
    """Seconds until 06:00 local time (the end of the night window of -234)."""
    now = clock.now().astimezone(ZoneInfo(timezone))
    six = now.replace(hour=6, minute=0, second=0, microsecond=0)
    if now >= six:
        six += timedelta(days=1)
    return (six - now).total_seconds()


def classify(
    code: int,
    body: Any,
    *,
    timezone: str = "Asia/Ho_Chi_Minh",
    retry_after: float | None = None,
) -> SendResult:
    """Turn a Zalo error code into a result whose reason staff can read (Vietnamese + code)."""
    words = str(body.get("message") or "") if isinstance(body, dict) else ""
    if code in TOKEN_ERRORS:
        return SendResult(SendStatus.FAILED, error_code=str(code), reason=EXPIRED_REASON)
    status, text = ERRORS.get(code, (SendStatus.FAILED, f"Zalo báo lỗi: {words[:200]}"))
    if code == -234:
        retry_after = _night_wait(timezone)
    return SendResult(
        status, error_code=str(code), reason=f"{text} ({code})", retry_after=retry_after
    )


# Zalo's limits on a button (zalo.md §3; title 100 and query payload 1,000 characters are from
# the OA API page [MED]). Five buttons is what we send at most: the documented examples show up
# to five and the count limit is not confirmed.
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
MAX_BUTTON_PAYLOAD = 1000


def buttons_attachment(buttons: tuple[Button, ...]) -> dict[str, Any]:
    """A text message's buttons as Zalo OA expects them: `message.attachment` of type template
    with `payload.buttons[]` (`oa.query.*` payloads are strings, `oa.open.url` an object)."""
    shaped = []
    for button in buttons[:MAX_BUTTONS]:
        payload: Any = button.payload[:MAX_BUTTON_PAYLOAD]
        if button.type == "oa.open.url":
            payload = {"url": button.payload}
        shaped.append(
            {"title": button.title[:MAX_BUTTON_TITLE], "type": button.type, "payload": payload}
        )
    return {"type": "template", "payload": {"buttons": shaped}}


# zalo.md §3: "request_user_info" with exactly one element {title, subtitle, image_url}. The
# title/subtitle limits are not documented: kept short like a button's title.
MAX_TEMPLATE_TITLE = 100
MAX_TEMPLATE_SUBTITLE = 500
# Shown in the request when the template names no image (served from danvan's static files).
USER_INFO_IMAGE = "/static/outreach/share-phone.png"


def user_info_attachment(template: dict[str, Any], *, base_url: str) -> dict[str, Any]:
    """A request for the citizen's name, phone and address, in the shape Zalo documents: the
    reply comes back as a `user_submit_info` event (applied by ingest)."""
    image = str(template.get("image_url") or f"{base_url.rstrip('/')}{USER_INFO_IMAGE}")
    element = {
        "title": str(template.get("title") or "")[:MAX_TEMPLATE_TITLE],
        "subtitle": str(template.get("subtitle") or "")[:MAX_TEMPLATE_SUBTITLE],
        "image_url": image,
    }
    return {
        "type": "template",
        "payload": {"template_type": "request_user_info", "elements": [element]},
    }


@dataclass(frozen=True)
class _Image:
    content: bytes
    filename: str
    content_type: str


class ZaloOASender:
    """Sends as the Official Account: `POST /v3.0/oa/message/cs` with the `access_token` header."""

    kind = "zalo_oa"
    max_text = MAX_TEXT

    def __init__(
        self,
        *,
        settings: Settings,
        tokens: OATokenProvider,
        transport: HttpTransport | None = None,
        database: Database | None = None,
    ) -> None:
        self.tokens = tokens
        # Where `/media/<name>` photos are read: the media store, whatever machine stored them.
        self.database = database
        self.timezone = settings.timezone
        self.media_dir = Path(settings.media_dir)
        self.base_url = settings.base_url
        self.transport = transport or HttpTransport(
            name="zalo_oa", base_url=settings.zalo_oa_api_base, timeout=settings.http_timeout
        )

    # --- sending ---------------------------------------------------------------------------

    def send(self, message: OutboundMessage) -> SendResult:
        """Send one text (at most 2,000 characters), with at most one image or else buttons."""
        try:
            # A media template may carry text (zalo.md §3); a photo-only reply has none.
            content: dict[str, Any] = {"text": message.text} if message.text else {}
            image = next((a for a in message.attachments if a.type == "image"), None)
            template = message.template or {}
            if template.get("template_type") == "request_user_info":
                # The template carries its own words (title, subtitle); Zalo shows no text.
                content = {"attachment": user_info_attachment(template, base_url=self.base_url)}
            elif image is not None:
                attachment_id = self.upload_image(self._read_image(image))
                content["attachment"] = {
                    "type": "template",
                    "payload": {
                        "template_type": "media",
                        "elements": [{"media_type": "image", "attachment_id": attachment_id}],
                    },
                }
            elif message.buttons:
                content["attachment"] = buttons_attachment(message.buttons)
            body = self._api(
                "POST",
                "/v3.0/oa/message/cs",
                json={"recipient": {"user_id": message.recipient}, "message": content},
                idempotency_key=message.idempotency_key,
            )
        except _Failed as failed:
            return failed.result
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        message_id = data.get("message_id") if data else None
        return SendResult.sent(str(message_id) if message_id not in (None, "") else None)

    def upload_image(self, image: _Image) -> str:
        """Upload an image (jpg/png, at most 1 MB) and return its `attachment_id`."""
        body = self._api(
            "POST",
            "/v2.0/oa/upload/image",
            files={"file": (image.filename, image.content, image.content_type)},
        )
        data = body.get("data")
        attachment_id = data.get("attachment_id") if isinstance(data, dict) else None
        if not attachment_id:
            raise _Failed(
                SendResult(
                    SendStatus.RETRY,
                    error_code="bad_response",
                    reason="Zalo không trả về mã ảnh đã tải lên",
                )
            )
        return str(attachment_id)

    def _read_image(self, attachment: Attachment) -> _Image:
        url = attachment.url or ""
        try:
            if url.startswith(MEDIA_PREFIX):
                name = url[len(MEDIA_PREFIX) :]
                content = self._stored_photo(name)
            else:
                path = self._image_path(url)
                name = path.name
                content = path.read_bytes()
        except OSError:
            raise _Failed(
                SendResult(
                    SendStatus.FAILED, error_code="no_file", reason="Không tìm thấy ảnh đính kèm"
                )
            ) from None
        if len(content) > MAX_IMAGE_BYTES:
            raise _Failed(
                SendResult(
                    SendStatus.FAILED,
                    error_code="too_big",
                    reason="Ảnh lớn hơn 1 MB (giới hạn Zalo)",
                )
            )
        content_type = mimetypes.guess_type(name)[0] or "image/jpeg"
        return _Image(content, attachment.name or name, content_type)

    def _stored_photo(self, name: str) -> bytes:
        """A photo stored by danvan (`/media/<name>`, served to staff at that path), read from
        the media store, whichever machine stored it; OSError when it is not there."""
        if self.database is None or not _MEDIA_NAME.fullmatch(name):
            raise OSError("not a stored photo")
        with self.database.session() as session:
            found = media_store.read(session, name)
        if found is None:
            raise OSError("not a stored photo")
        return found.data

    def _image_path(self, url: str) -> Path:
        """The file behind any other attachment url: `file://` urls and other absolute paths are
        read as they are, relative ones under `media_dir`."""
        path = Path(url.removeprefix("file://"))
        return path if path.is_absolute() else self.media_dir / path

    # --- reconciliation --------------------------------------------------------------------

    def was_sent(
        self,
        *,
        recipient: str,
        text: str,
        since: datetime,
        exclude: frozenset[str] = frozenset(),
    ) -> SentCheck:
        """Look in the conversation history for `text` sent by the OA after `since`.

        FOUND with the message id; NOT_FOUND when the history reaches back past `since` without
        it; UNKNOWN when the API fails or the history is too long to read back that far.
        `exclude`: message ids already known to belong to other replies.
        """
        wanted = clean(text)
        if not wanted:
            return SentCheck.unknown("Tin không có chữ để đối chiếu")
        since_ms = (since - CLOCK_SKEW).timestamp() * 1000
        for page in range(HISTORY_PAGES):
            query = {"user_id": recipient, "offset": page * HISTORY_PAGE, "count": HISTORY_PAGE}
            try:
                body = self._api("GET", "/v2.0/oa/conversation", params={"data": json.dumps(query)})
            except _Failed as failed:
                return SentCheck.unknown(
                    f"Không đọc được lịch sử hội thoại: {failed.result.reason}"
                )
            entries = _history_entries(body)
            if entries is None:
                return SentCheck.unknown("Lịch sử hội thoại có dạng không đọc được")
            reached_older = False
            for entry in entries:
                try:
                    at = float(str(entry.get("time")))
                except ValueError:
                    continue
                if at < since_ms:
                    reached_older = True
                    continue
                message_id = str(entry.get("message_id") or "")
                if (
                    str(entry.get("src")) == "0"
                    and clean(str(entry.get("message") or "")) == wanted
                    and message_id not in exclude
                ):
                    return SentCheck(SentState.FOUND, message_id=message_id or None)
            if reached_older or len(entries) < HISTORY_PAGE:
                return SentCheck(SentState.NOT_FOUND)
        return SentCheck.unknown("Lịch sử hội thoại quá dài để đối chiếu")

    # --- article broadcast (outreach) ------------------------------------------------------

    def broadcast_article(self, *, article_id: str, target: dict[str, Any]) -> SendResult:
        """Broadcast an OA article to every follower matching `target` (zalo.md §3:
        `POST /v2.0/oa/message` with `recipient.target`). The sources disagree on the target's
        shape (JSDK: scalars, SPEC: arrays): arrays are sent first, scalars when Zalo refuses
        the parameters (-201), and the shape that was accepted is logged."""
        shapes = (
            ("arrays", {k: v if isinstance(v, list) else [v] for k, v in target.items()}),
            ("scalars", {k: ",".join(map(str, v)) if isinstance(v, list) else str(v)
                         for k, v in target.items()}),
        )  # fmt: skip
        result = SendResult(SendStatus.FAILED, reason="no target shape tried")
        for name, shaped in shapes:
            body = {
                "recipient": {"target": shaped},
                "message": {
                    "attachment": {
                        "type": "template",
                        "payload": {
                            "template_type": "media",
                            "elements": [{"media_type": "article", "attachment_id": article_id}],
                        },
                    }
                },
            }
            try:
                answer = self._api("POST", "/v2.0/oa/message", json=body)
            except _Failed as failed:
                result = failed.result
                if result.error_code == "-201":
                    log.info("article broadcast: target shape %s refused (-201)", name)
                    continue
                return result
            log.info("article broadcast accepted with the %s target shape", name)
            data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
            message_id = data.get("message_id") if data else None
            return SendResult.sent(str(message_id) if message_id else None)
        return result

    # --- plumbing --------------------------------------------------------------------------

    def _token(self) -> TokenSnapshot:
        try:
            return self.tokens.current()
        except TokenUnavailable as exc:
            raise _Failed(_unavailable(exc)) from exc

    def _api(
        self,
        method: str,
        path: str,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The body of a successful call (`error` 0). On -216/-220 the token is refreshed once and
        the call made once more. Raises `_Failed` with the result to report."""
        token = self._token()
        for first_try in (True, False):
            reply = self._request(method, path, token, idempotency_key, **kwargs)
            body = reply.body
            code = _error(body)
            if code == 0 and isinstance(body, dict):
                return body
            if code in TOKEN_ERRORS and first_try:
                try:
                    token = self.tokens.refresh(stale=token)
                except TokenUnavailable as exc:
                    raise _Failed(_unavailable(exc)) from exc
                continue
            if code is not None:
                raise _Failed(
                    classify(code, body, timezone=self.timezone, retry_after=reply.retry_after())
                )
            raise _Failed(_http_failure(reply))
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(
        self,
        method: str,
        path: str,
        token: TokenSnapshot,
        idempotency_key: str | None,
        **kwargs: Any,
    ) -> HttpReply:
        headers = {"access_token": token.access_token}
        if idempotency_key:
            headers["X-Idempotency-Key"] = idempotency_key
        try:
            return self.transport.call(
                method,
                path,
                headers=headers,
                error_code=_error_text,
                secrets=(token.access_token,),
                **kwargs,
            )
        except TransportError as exc:
            raise _Failed(
                SendResult(
                    SendStatus.RETRY,
                    error_code=exc.code,
                    reason=f"Không kết nối được Zalo ({exc.code}), sẽ gửi lại",
                )
            ) from exc

    def close(self) -> None:
        self.transport.close()
        self.tokens.close()


def _unavailable(exc: TokenUnavailable) -> SendResult:
    status = SendStatus.RETRY if exc.transient else SendStatus.FAILED
    return SendResult(status, error_code=exc.code, reason=exc.reason)


def _http_failure(reply: HttpReply) -> SendResult:
    """An answer without Zalo's `error` field: judged by the HTTP status."""
    if reply.status == 429 or reply.status >= 500:
        return SendResult(
            SendStatus.RETRY,
            error_code=f"http_{reply.status}",
            reason=f"Zalo đang lỗi (HTTP {reply.status}), sẽ gửi lại",
            retry_after=reply.retry_after(),
        )
    if reply.status == 200:
        # Accepted or not, we cannot tell: treated like a lost answer (checked before a resend).
        return SendResult(
            SendStatus.RETRY,
            error_code="bad_response",
            reason="Zalo trả lời không đọc được, sẽ kiểm tra và gửi lại",
        )
    return SendResult(
        SendStatus.FAILED,
        error_code=f"http_{reply.status}",
        reason=f"Zalo từ chối yêu cầu (HTTP {reply.status})",
    )


def _history_entries(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Entries of `/v2.0/oa/conversation`: `data` is a list; some sources wrap it in an object."""
    data = body.get("data")
    if isinstance(data, dict):
        data = data.get("messages", data.get("data"))
    if not isinstance(data, list):
        return None
    return [entry for entry in data if isinstance(entry, dict)]
