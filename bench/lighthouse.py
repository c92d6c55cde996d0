"""Lighthouse on a phone: the inbox, a conversation and a case, signed in as an officer.

Starts the demo (`danvan demo`, a scratch SQLite file, free ports) unless --base-url points at
a running one, signs in over HTTP, and runs Lighthouse 12.2.3 (Node 20; 13 needs Node 22) with
Debian's Chromium in its default mobile emulation (Moto G Power screen, slow 4G, 4x CPU
slowdown), the session cookie passed with --extra-headers. Prints, per page, the accessibility
and performance scores and the cumulative layout shift.

Lighthouse is installed once into bench/.node (`npm install --prefix`, never globally):

    ./dev bench lighthouse                      # installs Lighthouse if needed, starts the demo
    ./dev bench lighthouse --base-url http://127.0.0.1:8000 --runs 3
Options: --email (default the demo's Minh Quang officer), --password, --keep (report JSONs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / ".node"
LIGHTHOUSE_VERSION = "12.2.3"
LIGHTHOUSE = NODE_DIR / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "danvan-demo"  # noqa: S105 (the demo's published password)


def ensure_lighthouse() -> None:
    if LIGHTHOUSE.exists():
        return
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(NODE_DIR),
            "--no-audit",
            "--no-fund",
            "-E",
            f"lighthouse@{LIGHTHOUSE_VERSION}",
        ],
        check=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_demo(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port, standin = free_port(), free_port()
    env = {
        **os.environ,
        "DANVAN_DEMO": "1",
        "DANVAN_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
        "DANVAN_MEDIA_DIR": str(folder / "media"),
    }
    command = [sys.executable, "-m", "danvan", "demo", "--port", str(port)]
    command += ["--standin-port", str(standin)]
    log = (folder / "demo.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the demo stopped; see {folder / 'demo.log'}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(1)
    process.terminate()
    raise SystemExit("the demo did not start in 5 minutes")


def sign_in(base: str, email: str, password: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "no CSRF token on /login"
    answer = client.post(
        "/login", data={"csrf_token": token.group(1), "email": email, "password": password}
    )
    assert answer.status_code == 303, f"sign-in failed ({answer.status_code})"
    cookie = client.cookies.get("danvan_session")
    assert cookie, "no session cookie"
    return client, cookie


def first_link(client: httpx.Client, page: str, pattern: str) -> str:
    found = re.search(pattern, client.get(page).text)
    assert found, f"no link like {pattern} on {page}"
    return found.group(0)


def lighthouse(url: str, cookie: str, out: Path) -> dict[str, float]:
    headers = json.dumps({"Cookie": f"danvan_session={cookie}"})
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        "--only-categories=accessibility,performance",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        f"--extra-headers={headers}",
    ]
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
    report = json.loads(out.read_text())
    categories, audits = report["categories"], report["audits"]
    failed = [
        name
        for name, audit in audits.items()
        if audit.get("score") == 0 and name in _accessibility_audits(report)
    ]
    return {
        "accessibility": round(categories["accessibility"]["score"] * 100),
        "performance": round(categories["performance"]["score"] * 100),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "failed": failed,  # type: ignore[dict-item]
    }


def _accessibility_audits(report: dict) -> set[str]:  # type: ignore[type-arg]
    return {ref["id"] for ref in report["categories"]["accessibility"]["auditRefs"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="a running danvan (default: start the demo)")
    parser.add_argument("--email", default="minhquang@demo.danvan.vn")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--runs", type=int, default=1, help="runs per page (medians printed)")
    parser.add_argument("--keep", action="store_true", help="keep the reports' JSON")
    args = parser.parse_args()

    ensure_lighthouse()
    folder = Path(tempfile.mkdtemp(prefix="danvan-lighthouse-"))
    process = None
    base = args.base_url
    if base is None:
        process, base = start_demo(folder)
    try:
        client, cookie = sign_in(base, args.email, args.password)
        pages = {
            "inbox": "/inbox",
            "conversation": first_link(client, "/inbox", r"/conversations/\d+"),
            "case": first_link(client, "/cases", r"/cases/\d+"),
        }
        print(f"Lighthouse {LIGHTHOUSE_VERSION}, mobile emulation, {args.runs} run(s) per page")
        print(f"{'page':<14}{'a11y':>6}{'perf':>6}{'CLS':>8}{'LCP ms':>9}  failed a11y audits")
        for name, path in pages.items():
            runs = [
                lighthouse(base + path, cookie, folder / f"{name}-{i}.json")
                for i in range(args.runs)
            ]
            median = {
                key: statistics.median(float(run[key]) for run in runs)  # type: ignore[arg-type]
                for key in ("accessibility", "performance", "cls", "lcp_ms")
            }
            failed = sorted({audit for run in runs for audit in run["failed"]})  # type: ignore[union-attr]
            print(
                f"{name:<14}{median['accessibility']:>6.0f}{median['performance']:>6.0f}"
                f"{median['cls']:>8.3f}{median['lcp_ms']:>9.0f}  {', '.join(failed) or '-'}"
            )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    if args.keep:
        print(f"reports in {folder}")


if __name__ == "__main__":
    main()
