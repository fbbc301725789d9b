"""The admin listener's live status page in headless Chromium (Debian's `chromium`, installed
by `scripts/deps.sh --test`), driven over the DevTools protocol with `websockets`: the page
loads, updates itself, shows a session the test opens (with its session ID) and drops it after
it leaves. A hostile-looking procedure URI must show as text, never as markup. The screenshot
goes to interop/reports/status-page.png."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from conftest import REPORTS_DIR, free_port
from wamp_helpers import CALL, ERROR, RawPeer, run, unique

SCREENSHOT = REPORTS_DIR / "status-page.png"
HOSTILE_SUFFIX = "<img_src=x_onerror=alert(1)>"


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("chromium not found: run scripts/deps.sh --test (installs Debian's chromium)", pytrace=False)


class Chromium:
    """A headless Chromium with remote debugging on a port it picks (read from the profile's
    DevToolsActivePort file), and one page driven over the DevTools protocol."""

    def __init__(self):
        self.profile = Path(tempfile.mkdtemp(prefix="wamp-chromium-"))
        self.log = open(REPORTS_DIR / "chromium-status-page.log", "w")
        self.proc = subprocess.Popen(
            [chromium_binary(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", "--window-size=1400,1100", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.ws = None
        self._ids = itertools.count(1)

    def debugging_port(self, timeout: float = 30.0) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"chromium exited with {self.proc.returncode}; see {self.log.name}", pytrace=False)
            if marker.is_file():
                lines = marker.read_text().split()
                if lines and lines[0].isdigit():
                    return int(lines[0])
            time.sleep(0.1)
        pytest.fail(f"chromium did not open its DevTools port within {timeout:.0f} s", pytrace=False)

    async def open_page(self) -> None:
        port = self.debugging_port()
        deadline = time.monotonic() + 15
        targets = []
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
                targets = [t for t in json.load(response) if t.get("type") == "page"]
            if targets:
                break
            await asyncio.sleep(0.1)
        assert targets, "chromium shows no page target"
        self.ws = await websockets.connect(targets[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10)

    async def command(self, method: str, **params):
        ident = next(self._ids)
        await self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 15))
            if message.get("id") == ident:
                assert "error" not in message, f"{method}: {message['error']}"
                return message.get("result", {})

    async def evaluate(self, expression: str):
        result = await self.command("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, f"page script failed: {result['exceptionDetails']}"
        return result["result"].get("value")

    async def wait_for(self, expression: str, what: str, timeout: float = 15.0):
        """Polls `expression` in the page until it is truthy; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.2)
        text = await self.evaluate("document.body ? document.body.innerText.slice(0, 2000) : ''")
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last value {value!r}); page text:\n{text}")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


# Safe before the page has loaded (the navigation may not have replaced about:blank yet).
UPDATES = "Number((document.getElementById('meta') || {getAttribute: () => 0}).getAttribute('data-updates') || 0)"


def row_for(session_id: int) -> str:
    return f"document.querySelector('#sessions tbody tr[data-id=\"{session_id}\"]')"


def test_status_page_shows_a_session_live_and_drops_it_after_it_leaves(router_factory):
    admin_port = free_port()
    r = router_factory("status-page", extra_args=["--admin-port", str(admin_port)])
    page_url = f"http://127.0.0.1:{admin_port}/"
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/health", timeout=5) as response:
        assert response.status == 200 and json.load(response)["status"] == "serving"

    browser = Chromium()

    async def scenario():
        await browser.open_page()
        await browser.command("Page.enable")
        await browser.command("Page.navigate", url=page_url)
        await browser.wait_for(f"{UPDATES} >= 1", "the first update of the page")
        first = await browser.evaluate(UPDATES)
        # Live: the page keeps polling without a reload.
        await browser.wait_for(f"{UPDATES} >= {first + 2}", "two more updates of the page")
        assert await browser.evaluate(f"{row_for(1)} === null")

        peer = await RawPeer.joined(r.url, "realm1")
        procedure = unique("com.example.status") + HOSTILE_SUFFIX
        await peer.register(procedure)
        await peer.subscribe(unique("com.example.status.topic"))
        sid = peer.session_id
        row = await browser.wait_for(f"{row_for(sid)} && {row_for(sid)}.innerText", f"session {sid} in the sessions table")
        cells = row.split("\t")
        assert cells[0].strip() == str(sid), f"the row's first cell should be the session ID {sid}: {cells!r}"
        assert "realm1" in cells and any(c.strip() == "websocket" for c in cells) and "json" in cells, cells

        # The URI shows as text: no element came from it.
        registrations = await browser.wait_for(
            f"[...document.querySelectorAll('#registrations tbody td')].map(td => td.textContent).join('\\n')"
            f".includes({json.dumps(procedure)}) && document.querySelector('#registrations tbody').innerText",
            "the registration in the registrations table")
        assert procedure in registrations
        assert await browser.evaluate("document.querySelectorAll('main img').length") == 0

        # An error the router sends shows in the recent errors, with its URI and realm.
        await peer.send([CALL, peer.next_id(), {}, unique("com.example.status.nobody")])
        answer = await peer.recv()
        assert answer[0] == ERROR and answer[4] == "wamp.error.no_such_procedure", answer
        errors = await browser.wait_for(
            "document.querySelector('#errors tbody').innerText.includes('wamp.error.no_such_procedure')"
            " && document.querySelector('#errors tbody').innerText", "the error in the recent errors table")
        assert "ERROR CALL" in errors and "realm1" in errors and str(sid) in errors, errors
        assert await browser.evaluate("document.querySelectorAll('#charts svg polyline').length") >= 2

        REPORTS_DIR.mkdir(parents=True, exist_ok=True)
        shot = await browser.command("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        SCREENSHOT.write_bytes(base64.b64decode(shot["data"]))

        await peer.close()
        await browser.wait_for(f"{row_for(sid)} === null", f"session {sid} to leave the sessions table")
        await browser.close()

    try:
        run(scenario(), timeout=120)
    finally:
        browser.stop()
    assert SCREENSHOT.is_file() and SCREENSHOT.stat().st_size > 10_000, "no screenshot saved"


def test_health_says_draining_while_sessions_are_told_goodbye(router_factory):
    """The admin listener stops after the WAMP side: while a session that does not answer the
    shutdown GOODBYE holds the router in its grace period, /health answers 503 "draining"."""
    import signal
    import urllib.error

    admin_port = free_port()
    r = router_factory("health-draining", extra_args=["--admin-port", str(admin_port)])
    health_url = f"http://127.0.0.1:{admin_port}/health"

    async def scenario():
        peer = await RawPeer.joined(r.url, "realm1")
        r.proc.send_signal(signal.SIGTERM)
        goodbye = await peer.recv(timeout=10)
        assert goodbye[0] == 6 and goodbye[2] == "wamp.close.system_shutdown", goodbye
        # Not answering the GOODBYE keeps the router draining for its grace period.
        def get():
            try:
                with urllib.request.urlopen(health_url, timeout=5) as response:
                    return response.status, json.load(response)
            except urllib.error.HTTPError as e:
                return e.code, json.load(e)
        status, body = await asyncio.get_running_loop().run_in_executor(None, get)
        assert status == 503 and body["status"] == "draining" and body["healthy"] is False, (status, body)

    run(scenario(), timeout=30)
    assert r.proc.wait(timeout=15) == 0
