"""The HTTP bridge (issue 11): Crossbar's `publisher` and `caller` paths of a `web` transport,
driven with `curl` and Python's urllib against a router started from
interop/configs/http-bridge.json. Publications reach an Autobahn subscriber, calls reach an
Autobahn callee; WAMP errors come back in Crossbar's shape with statuses that fit (Crossbar
answers 200 for them); signed requests are accepted once and bad ones refused.

The statuses are this router's (Crossbar's differ), so the router here is always ours."""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import hmac
import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import start_configured_router, stop_configured_router
from wamp_helpers import autobahn_session, close_all, run, unique

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "http-bridge.json"
KEY, SECRET = "foobar", "kkjH68GiuUZ"
CURL = shutil.which("curl")


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    router = start_configured_router("http-bridge", CONFIG, tmp_path_factory.mktemp("http-bridge"), impl="ours")
    yield router
    stop_configured_router(router)


def http_url(router, path: str, transport: int = 0) -> str:
    return router.url(transport, path, scheme="http")


def post(url: str, body, method: str = "POST", headers: dict | None = None) -> tuple[int, dict]:
    """urllib: (status, parsed JSON answer); error statuses are answers too."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data if method != "GET" else None, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        text = e.read()
        assert e.headers.get("Content-Type", "").startswith("application/json"), (e.code, text)
        return e.code, json.loads(text)


def curl(url: str, body: str, *extra: str) -> tuple[int, dict]:
    """curl --data-binary (the body on stdin: a command-line argument is limited to 128 KiB):
    (status, parsed JSON answer)."""
    assert CURL, "curl is not installed (scripts/deps.sh --test installs it)"
    out = subprocess.run([CURL, "-sS", "-o", "-", "-w", "\n%{http_code}", "-H", "Content-Type: application/json",
                          "--data-binary", "@-", *extra, url], input=body, capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    text, _, status = out.stdout.rpartition("\n")
    return int(status), json.loads(text)


def signed_query(body: bytes, seq: int, secret: str = SECRET, timestamp: str | None = None) -> str:
    """Crossbar's signature: urlsafe base64 of HMAC-SHA256(secret, key + timestamp + seq + nonce + body)."""
    timestamp = timestamp or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    nonce = "4711"
    mac = hmac.new(secret.encode(), KEY.encode() + timestamp.encode() + str(seq).encode() + nonce.encode() + body,
                   hashlib.sha256)
    signature = base64.urlsafe_b64encode(mac.digest()).decode()
    return urllib.parse.urlencode({"key": KEY, "timestamp": timestamp, "seq": seq, "nonce": nonce, "signature": signature})


def test_curl_publish_reaches_an_autobahn_subscriber(bridge):
    async def scenario():
        subscriber = await autobahn_session(bridge.url(0, "ws"))
        topic = unique("com.example.news")
        got = asyncio.get_running_loop().create_future()
        try:
            await subscriber.subscribe(lambda *a, **kw: got.done() or got.set_result((a, kw)), topic)
            body = json.dumps({"topic": topic, "args": ["hello", 42], "kwargs": {"from": "curl"}})
            status, answer = await asyncio.to_thread(curl, http_url(bridge, "publish"), body)
            assert status == 200, answer
            assert isinstance(answer["id"], int) and answer["id"] > 0, answer
            assert await asyncio.wait_for(got, 5) == (("hello", 42), {"from": "curl"})
        finally:
            await close_all(subscriber)

    run(scenario())


def test_urllib_call_reaches_an_autobahn_callee(bridge):
    async def scenario():
        callee = await autobahn_session(bridge.url(0, "ws"))
        procedure = unique("com.example.add")
        try:
            await callee.register(lambda *numbers, **kw: sum(numbers), procedure)
            status, answer = await asyncio.to_thread(post, http_url(bridge, "call"), {"procedure": procedure, "args": [1, 2, 39]})
            assert (status, answer) == (200, {"args": [42], "kwargs": {}})
            status, answer = await asyncio.to_thread(curl, http_url(bridge, "call"), json.dumps({"procedure": procedure, "args": [5]}))
            assert (status, answer) == (200, {"args": [5], "kwargs": {}})
        finally:
            await close_all(callee)

    run(scenario())


def test_wamp_errors_map_to_http_statuses(bridge):
    async def scenario():
        from autobahn.wamp.exception import ApplicationError

        callee = await autobahn_session(bridge.url(0, "ws"))
        failing, silent = unique("com.example.fail"), unique("com.example.silent")

        def fail():
            raise ApplicationError("com.example.oops", "bad input", code=7)

        async def never():
            await asyncio.sleep(30)

        try:
            await callee.register(fail, failing)
            await callee.register(never, silent)
            call = http_url(bridge, "call")
            status, answer = await asyncio.to_thread(post, call, {"procedure": failing})
            assert status == 502 and answer["error"] == "com.example.oops", answer
            assert answer["args"] == ["bad input"] and answer["kwargs"] == {"code": 7}, answer
            status, answer = await asyncio.to_thread(post, call, {"procedure": unique("com.example.nobody")})
            assert (status, answer["error"]) == (404, "wamp.error.no_such_procedure"), answer
            status, answer = await asyncio.to_thread(post, call, {"procedure": "org.elsewhere.proc"})
            assert (status, answer["error"]) == (403, "wamp.error.not_authorized"), answer
            status, answer = await asyncio.to_thread(post, call, {"procedure": "com.example..bad"})
            assert (status, answer["error"]) == (400, "wamp.error.invalid_uri"), answer
            status, answer = await asyncio.to_thread(post, call, {"procedure": silent})  # call_timeout 1500 ms
            assert (status, answer["error"]) == (504, "wamp.error.timeout"), answer
            status, answer = await asyncio.to_thread(post, http_url(bridge, "publish"), {"topic": "org.elsewhere.topic"})
            assert (status, answer["error"]) == (403, "wamp.error.not_authorized"), answer
        finally:
            await close_all(callee)

    run(scenario())


def test_bad_requests_get_json_answers(bridge):
    publish = http_url(bridge, "publish")
    status, answer = post(publish, b"{not json")
    assert status == 400 and "not JSON" in answer["message"], answer
    status, answer = post(publish, {"args": [1]})
    assert status == 400 and "'topic'" in answer["message"], answer
    status, answer = post(http_url(bridge, "call"), {"topic": "com.example.x"})
    assert status == 400 and "'procedure'" in answer["message"], answer
    status, answer = post(publish, None, method="GET")
    assert status == 405 and answer["error"] == "router.error.method_not_allowed", answer
    status, answer = post(http_url(bridge, "publish-small"), {"topic": "com.example.x", "args": ["x" * 300]})
    assert status == 413 and answer["error"] == "router.error.payload_too_large", answer
    status, answer = curl(http_url(bridge, "publish"), json.dumps({"topic": "com.example.x", "args": ["x" * (1 << 20)]}))
    assert status == 413, answer  # the default post_body_limit, 1 MiB
    status, answer = post(http_url(bridge, "call-elsewhere"), {"procedure": "com.example.x"})
    assert status == 403 and "require_ip" in answer["message"], answer


def test_signed_requests_accepted_once_and_bad_ones_refused(bridge):
    url = http_url(bridge, "publish-signed")
    body = json.dumps({"topic": "com.example.signed", "args": [1]}).encode()
    query = signed_query(body, seq=1)
    status, answer = curl(f"{url}?{query}", body.decode())
    assert status == 200 and answer["id"] > 0, answer
    status, answer = curl(f"{url}?{query}", body.decode())
    assert status == 401 and "replay" in answer["message"], answer
    status, answer = post(f"{url}?{signed_query(body, seq=2)}", body)
    assert status == 200, answer
    status, answer = post(f"{url}?{signed_query(body, seq=3, secret='wrong')}", body)
    assert (status, answer["error"]) == (401, "router.error.invalid_signature"), answer
    status, answer = post(f"{url}?{signed_query(body, seq=4, timestamp='2011-10-14T16:59:51.123Z')}", body)
    assert status == 401 and "timestamp" in answer["message"], answer
    status, answer = post(url, body)
    assert status == 400 and "'key'" in answer["message"], answer


def test_web_transport_without_websocket_path_refuses_upgrades(bridge):
    status, answer = post(http_url(bridge, "publish", transport=1), {"topic": "com.example.second"})
    assert status == 200 and answer["id"] > 0, answer
    out = subprocess.run([CURL, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Upgrade: websocket", "-H", "Connection: Upgrade",
                          "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "-H", "Sec-WebSocket-Version: 13",
                          "-H", "Sec-WebSocket-Protocol: wamp.2.json", http_url(bridge, "", transport=1)],
                         capture_output=True, text=True, timeout=20)
    assert out.stdout == "404", out


def get(url: str, headers: dict | None = None) -> tuple[int, str, str]:
    """urllib GET: (status, Content-Type, body text)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def test_admin_paths_of_a_web_transport_serve_metrics_health_and_status(bridge):
    """The config file's `metrics`, `health` and `status` paths, beside a bridge path on the same
    listener: the scrape is the router's exposition, /health the router's phase, and the status
    path wants its token."""
    status, content_type, text = get(http_url(bridge, "metrics", transport=1))
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), (status, content_type)
    status, answer = post(http_url(bridge, "publish", transport=1), {"topic": "com.example.scraped"})
    assert status == 200, answer
    _, _, text = get(http_url(bridge, "metrics", transport=1))
    assert "# TYPE wamp_sessions gauge" in text
    assert 'wamp_routed_events_total' in text
    status, _, body = get(http_url(bridge, "health", transport=1))
    assert status == 200 and json.loads(body)["status"] == "serving", body
    status, _, _ = get(http_url(bridge, "status", transport=1))
    assert status == 401, "the status path has a token"
    status, content_type, page = get(http_url(bridge, "status", transport=1),
                                     headers={"Authorization": "Bearer s3cr3t-status-token"})
    assert status == 200 and content_type.startswith("text/html") and "<!doctype html>" in page.lower(), (status, content_type)
    status, _, feed = get(http_url(bridge, "status/status.json", transport=1),
                          headers={"Authorization": "Bearer s3cr3t-status-token"})
    assert status == 200 and "sessions" in json.loads(feed), feed
