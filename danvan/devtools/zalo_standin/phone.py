"""The page at `GET /`: the messages received by citizens' phones, newest first."""

from __future__ import annotations

import html
import time

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from danvan.devtools.zalo_standin.state import Received, StandinState


def add_phone_page(*, app: FastAPI, state: StandinState) -> None:
    """The phone page on `app`, showing what `state` received."""

    @app.get("/", response_class=HTMLResponse)
    def phone() -> HTMLResponse:
        return HTMLResponse(_render_phone(state.messages()))


def _render_phone(received: list[Received]) -> str:
    rows = []
    for item in sorted(received, key=lambda m: m.time_ms, reverse=True):
        when = time.strftime("%H:%M:%S %d/%m/%Y", time.localtime(item.time_ms / 1000))
        channel = {"oa": "Zalo OA", "zns": "Tin mẫu Zalo (ZNS)"}.get(item.api, "Zalo Bot")
        if item.charged:
            channel += " (có phí)"
        template = item.template if item.api == "zns" and item.template else None
        rows.append(
            "<li class='msg'>"
            f"<div class='meta'>{html.escape(channel)} · Người nhận: "
            f"<b>{html.escape(item.recipient)}</b> · {html.escape(when)}</div>"
            f"<div class='text'>{html.escape(item.text)}</div>"
            + (
                f"<div class='meta'>Mẫu {html.escape(str(template.get('template_id')))}: "
                + html.escape(
                    ", ".join(f"{k}={v}" for k, v in (template.get("template_data") or {}).items())
                )
                + "</div>"
                if template
                else ""
            )
            + (
                f"<div class='meta'>Ảnh đính kèm: {html.escape(item.attachment_id)}</div>"
                if item.attachment_id
                else ""
            )
            + "".join(
                f"<div class='meta'>[{html.escape(str(b.get('title')))}]</div>"
                for b in item.buttons
            )
            + "</li>"
        )
    items = "\n".join(rows) or "<li class='empty'>Chưa có tin nhắn nào.</li>"
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2">
<title>Điện thoại người dân (Zalo giả lập)</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; color: #1e293b; }}
ul {{ list-style: none; padding: 0; }}
.msg {{ background: #e0f2fe; border-radius: .75rem; padding: .75rem 1rem; margin: .5rem 0; }}
.meta {{ font-size: .8rem; color: #475569; }}
.text {{ white-space: pre-wrap; margin-top: .25rem; }}
</style></head>
<body>
<h1>Tin nhắn người dân nhận được</h1>
<p class="meta">Máy chủ Zalo giả lập (chỉ dùng để thử nghiệm) · Messages received by citizens'
phones, newest first · tự làm mới mỗi 2 giây</p>
<ul>
{items}
</ul>
</body></html>"""
