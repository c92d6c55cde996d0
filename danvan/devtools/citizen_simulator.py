"""A page on the Zalo stand-in where a demo user plays a citizen writing to the OA.

It sends what Zalo would: a `user_send_text` webhook, signed with the OA's app id and secret, to
danvan's `/webhooks/zalo-oa`. Demo only: `danvan demo` mounts it; tests and production do not.
"""

from __future__ import annotations

import html
import json
import secrets

import httpx
from fastapi import FastAPI, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from danvan.channels.zalo_oa.signature import sign
from danvan.kernel import clock

PATH = "/nguoi-dan"
SAMPLE = "Tôi ở xã Minh Quang, đèn đường thôn Bản Tấng bị hỏng 3 hôm nay."
CITIZENS = [
    ("7000000000000000000", "Nguyễn Thị Hoa"),
    ("8421000000000000777", "Người dân mới (chưa rõ xã)"),
]


def add_citizen_simulator(
    app: FastAPI,
    *,
    webhook_url: str,
    app_id: str,
    oa_secret: str,
    oa_id: str = "579745863508352884",
) -> None:
    @app.get(PATH, response_class=HTMLResponse)
    def simulator(sent: str = "") -> HTMLResponse:
        return HTMLResponse(_page(sent))

    @app.post(PATH)
    def send_as_citizen(
        user_id: str = Form(max_length=32), text: str = Form(min_length=1, max_length=2000)
    ) -> Response:
        timestamp = str(int(clock.timestamp() * 1000))
        body = json.dumps(
            {
                "app_id": app_id,
                "user_id_by_app": "55" + user_id[-10:],
                "event_name": "user_send_text",
                "timestamp": timestamp,
                "sender": {"id": user_id},
                "recipient": {"id": oa_id},
                "message": {"text": text, "msg_id": secrets.token_hex(10)},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        response = httpx.post(
            webhook_url,
            content=body,
            headers={
                "content-type": "application/json",
                "x-zevent-signature": sign(app_id, body, timestamp, oa_secret),
            },
            timeout=10,
        )
        return RedirectResponse(f"{PATH}?sent={response.status_code}", status_code=303)


def _page(sent: str) -> str:
    options = "".join(
        f"<option value='{html.escape(uid)}'>{html.escape(name)}</option>" for uid, name in CITIZENS
    )
    status = (
        f"<p class='ok'>Đã gửi tới Dân Vận (HTTP {html.escape(sent)}). "
        "Mở hộp thư cán bộ để xem.</p>"
        if sent
        else ""
    )
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Giả lập người dân nhắn OA</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; color: #1e293b; }}
label {{ display: block; margin: .75rem 0 .25rem; font-weight: 600; }}
select, textarea, button {{ font: inherit; width: 100%; padding: .5rem; box-sizing: border-box; }}
button {{ margin-top: 1rem; background: #0b5cad; color: white; border: 0; border-radius: .5rem; }}
.ok {{ background: #dcfce7; padding: .5rem 1rem; border-radius: .5rem; }}
</style></head><body>
<h1>Giả lập người dân nhắn tin tới Zalo OA</h1>
<p>Demo only: sends a signed <code>user_send_text</code> webhook to Dân Vận, as Zalo would.
<a href="/">Xem tin người dân nhận được →</a></p>
{status}
<form method="post">
<label for="user_id">Người dân</label><select id="user_id" name="user_id">{options}</select>
<label for="text">Tin nhắn</label>
<textarea id="text" name="text" rows="4" required>{html.escape(SAMPLE)}</textarea>
<button type="submit">Gửi</button>
</form></body></html>"""
