"""Template messages (ZNS, zalo.md §5–6): the send by phone (`/message/template`) and by OA
user id (`/v3.0/oa/message/template`), the templates (`/template/all`, `/template/info/v2`), the
quota (`/message/quota`), their errors (-108 bad phone, -124 bad token, -115 out of balance,
-133 night, -144 quota; -109/-111 template problems), and a delivery receipt per message
(`user_received_message`, for the `X-ZEvent-Server: ZNS` webhook)."""

from __future__ import annotations

import re
import threading
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from danvan.devtools.zalo_standin.playback import json_body, new_id, play
from danvan.devtools.zalo_standin.protocol import (
    OA_ID,
    ZNS_QUOTA,
    ZNS_SEND,
    ZNS_SEND_BY_USER,
    ZNS_TEMPLATE_INFO,
    ZNS_TEMPLATES_PATH,
)
from danvan.devtools.zalo_standin.state import Received, StandinState
from danvan.kernel import clock

_PHONE = re.compile(r"84\d{9,10}")
BAD_TOKEN = {"error": -124, "message": "Access token is invalid"}
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def _error(code: int, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message})


def receipt(item: Received) -> dict[str, Any]:
    """The ZNS delivery receipt Zalo posts for a template message (zalo.md §1, [MED])."""
    at = str(item.time_ms + 1500)
    return {
        "event_name": "user_received_message",
        "timestamp": at,
        "sender": {"id": OA_ID},
        "recipient": {"id": item.recipient},
        "message": {
            "delivery_time": at,
            "msg_id": item.message_id,
            "tracking_id": item.tracking_id or "",
        },
    }


def _problem(state: StandinState, body: Any) -> JSONResponse | None:
    """Why a template message is refused, in Zalo's words; None when it is accepted."""
    template_id = str(body.get("template_id") or "")
    template = state.zns_templates.get(template_id)
    if template is None or template.get("status") != "ENABLE":
        return _error(-109, "Template ID is invalid")
    data = body.get("template_data")
    if not isinstance(data, dict) or not data:
        return _error(-111, "Template data is empty")
    for param in template.get("listParams") or []:
        value = data.get(param["name"])
        if param.get("require") and not value:
            return _error(-112, f"Template data is invalid: {param['name']} is missing")
        if value and len(str(value)) > int(param.get("maxLength") or 10_000):
            return _error(-112, f"Template data is invalid: {param['name']} is too long")
    hour = clock.now().astimezone(ZONE).hour
    if hour >= 22 or hour < 6:
        return _error(-133, "Cannot send ZNS messages at night (22:00-06:00)")
    if state.zns_remaining_quota <= 0:
        return _error(-144, "OA has exceeded the daily quota")
    if state.zns_balance_vnd < int(str(template.get("price") or 0)):
        return _error(-115, "Out of balance")
    return None


def add_zns_routes(*, app: FastAPI, state: StandinState) -> None:
    """The template-message routes on `app`, answering from `state`."""

    def send(request: Request, body: Any, *, by_user: bool) -> Response:
        token = request.headers.get("access_token")
        if not state.token_ok(token):
            return JSONResponse(BAD_TOKEN if not by_user else {"error": -216, "message": "bad"})
        if not isinstance(body, dict):
            return _error(-201, "Parameters are invalid")
        if by_user:
            recipient = str(body.get("user_id") or "")
            if not recipient:
                return _error(-201, "user_id is invalid")
        else:
            recipient = str(body.get("phone") or "")
            if not _PHONE.fullmatch(recipient):
                return _error(-108, "Phone number is invalid")
        refused = _problem(state, body)
        if refused is not None:
            return refused
        template = state.zns_templates[str(body["template_id"])]
        item = Received(
            message_id=new_id(),
            api="zns",
            recipient=recipient,
            text="",
            time_ms=state.now_ms(),
            template={"template_id": str(body["template_id"]), **{
                "template_data": dict(body["template_data"])}},
            tracking_id=str(body.get("tracking_id") or "") or None,
            mode=str(body.get("mode") or "") or None,
        )  # fmt: skip
        with state.lock:
            state.zns_remaining_quota -= 1
            state.zns_balance_vnd -= int(str(template.get("price") or 0))
            remaining, daily = state.zns_remaining_quota, state.zns_daily_quota
            state.zns_receipts.append(receipt(item))
            sink = state.receipt_sink
        state.receive(item)
        if sink is not None:
            # Zalo posts the receipt a moment later, on its own connection.
            threading.Timer(1.0, sink, args=(receipt(item),)).start()
        sent_time = str(item.time_ms)
        return JSONResponse(
            {
                "error": 0,
                "message": "Success",
                "data": {
                    "msg_id": item.message_id,
                    "sent_time": sent_time,
                    "quota": {"dailyQuota": str(daily), "remainingQuota": str(remaining)},
                },
            }
        )

    @app.post(ZNS_SEND)
    async def zns_send(request: Request) -> Response:
        body = await json_body(request)
        return await play(state, request, body, lambda: send(request, body, by_user=False))

    @app.post(ZNS_SEND_BY_USER)
    async def zns_send_by_user(request: Request) -> Response:
        body = await json_body(request)
        return await play(state, request, body, lambda: send(request, body, by_user=True))

    @app.get(ZNS_TEMPLATES_PATH)
    async def zns_templates(request: Request) -> Response:
        def handle() -> Response:
            if not state.token_ok(request.headers.get("access_token")):
                return JSONResponse(BAD_TOKEN)
            offset = int(request.query_params.get("offset") or 0)
            limit = min(int(request.query_params.get("limit") or 100), 100)
            with state.lock:
                items = [
                    {
                        "templateId": int(template_id),
                        "templateName": t["templateName"],
                        "createdTime": 1764547200000,
                        "status": t["status"],
                        "templateQuality": "HIGH",
                    }
                    for template_id, t in state.zns_templates.items()
                ]
            return JSONResponse(
                {
                    "error": 0,
                    "message": "Success",
                    "data": items[offset : offset + limit],
                    "metadata": {"total": len(items)},
                }
            )

        return await play(state, request, dict(request.query_params), handle)

    @app.get(ZNS_TEMPLATE_INFO)
    async def zns_template_info(request: Request) -> Response:
        def handle() -> Response:
            if not state.token_ok(request.headers.get("access_token")):
                return JSONResponse(BAD_TOKEN)
            template_id = request.query_params.get("template_id") or ""
            with state.lock:
                template = state.zns_templates.get(template_id)
            if template is None:
                return _error(-109, "Template ID is invalid")
            return JSONResponse(
                {
                    "error": 0,
                    "message": "Success",
                    "data": {
                        "templateId": int(template_id),
                        "templateQuality": "HIGH",
                        "timeout": 7200000,
                        "previewUrl": f"https://account.zalo.cloud/znspreview/{template_id}",
                        **template,
                    },
                }
            )

        return await play(state, request, dict(request.query_params), handle)

    @app.get(ZNS_QUOTA)
    async def zns_quota(request: Request) -> Response:
        def handle() -> Response:
            if not state.token_ok(request.headers.get("access_token")):
                return JSONResponse(BAD_TOKEN)
            with state.lock:
                quota = {
                    "dailyQuota": str(state.zns_daily_quota),
                    "remainingQuota": str(state.zns_remaining_quota),
                }
            return JSONResponse({"error": 0, "message": "Success", "data": quota})

        return await play(state, request, dict(request.query_params), handle)
