"""Fixtures for the interop tests: the built `wamp-router` binary, run as a real process.

- `router` (session scope): one router on a free loopback port with realms realm1 and realm2,
  shared by most tests. At teardown it gets SIGTERM and must exit 0 within 10 s.
- `router_factory` (function scope): start extra, private routers (the shutdown tests).

The binary is `$ROUTER_BIN` (default `.build/release/wamp-router`, relative to the repository
root). Each router's stdout/stderr go to `interop/reports/router-*.log`; the log tail is attached
to the report of every failing test and printed when a router fails to start or stop cleanly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

INTEROP_DIR = Path(__file__).resolve().parent
REPO_ROOT = INTEROP_DIR.parent
REPORTS_DIR = INTEROP_DIR / "reports"

STARTUP_TIMEOUT = float(os.environ.get("ROUTER_STARTUP_TIMEOUT", "30"))
SHUTDOWN_TIMEOUT = 10.0
LOG_TAIL_LINES = 80


def router_bin() -> Path:
    path = Path(os.environ.get("ROUTER_BIN", ".build/release/wamp-router"))
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The first lines and the last `lines` lines of a log (a crash report starts with the
    reason and ends with the registers, so both ends matter)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        return f"(no log: {e})"
    all_lines = text.splitlines()
    if not all_lines:
        return "(log is empty)"
    head = 20
    if len(all_lines) <= head + lines:
        return "\n".join(all_lines)
    skipped = len(all_lines) - head - lines
    return "\n".join(all_lines[:head] + [f"[... {skipped} lines ...]"] + all_lines[-lines:])


@dataclass
class Router:
    """A running router process."""

    proc: subprocess.Popen
    host: str
    port: int
    realms: list[str]
    log_path: Path
    _log_file: object = field(repr=False, default=None)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = SHUTDOWN_TIMEOUT) -> int | None:
        """Send `sig` and wait up to `timeout` s. Returns the exit code, or None if still running
        (in which case the process is killed so that nothing is left behind)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._close_log()
                return None
        self._close_log()
        return self.proc.returncode

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


_started: list[Router] = []


def start_router(name: str, realms=("realm1", "realm2"), extra_args=()) -> Router:
    binary = router_bin()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"router binary {binary} not found or not executable; build it first "
                    f"(swift build -c release) or set ROUTER_BIN", pytrace=False)
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    host = "127.0.0.1"
    log_path = REPORTS_DIR / f"router-{name}.log"
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probe and bind: retry
        port = free_port()
        args = [str(binary), "--host", host, "--port", str(port), "--log-level", "info"]
        for realm in realms:
            args += ["--realm", realm]
        args += list(extra_args)
        log_file = open(log_path, "w")
        log_file.write("$ " + " ".join(args) + "\n")
        log_file.flush()
        proc = subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
        router = Router(proc, host, port, list(realms), log_path, log_file)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    _started.append(router)
                    return router
            except OSError:
                time.sleep(0.05)
        exited = proc.poll() is not None
        rc = router.stop(signal.SIGKILL, timeout=5)
        what = (f"router exited with code {rc} before accepting TCP on {host}:{port}" if exited
                else f"router did not accept TCP on {host}:{port} within {STARTUP_TIMEOUT:.0f} s")
        last_error = f"{what}\n--- {log_path} ---\n{log_tail(log_path)}"
        if not (exited and "in use" in log_path.read_text(errors="replace").lower()):
            break  # retry only when the port was taken between probing and binding
    pytest.fail(last_error, pytrace=False)


def stop_and_check(router: Router) -> None:
    rc = router.stop(signal.SIGTERM, SHUTDOWN_TIMEOUT)
    if router in _started:
        _started.remove(router)
    if rc != 0:
        what = "did not exit within 10 s of SIGTERM" if rc is None else f"exited with code {rc} after SIGTERM"
        pytest.fail(f"router {what}\n--- {router.log_path} ---\n{log_tail(router.log_path)}",
                    pytrace=False)


@dataclass
class ExternalRouter:
    """A router that is already running elsewhere (`ROUTER_URL`, for debugging the suite)."""

    url: str

    @property
    def http_url(self) -> str:
        return self.url.replace("ws://", "http://", 1)

    def alive(self) -> bool:
        return True


@pytest.fixture(scope="session")
def router():
    """The shared router: realms realm1 and realm2 on a free loopback port. With `ROUTER_URL`
    set, the tests use that already-running router instead (it must serve realm1 and realm2)."""
    if os.environ.get("ROUTER_URL"):
        yield ExternalRouter(os.environ["ROUTER_URL"])
        return
    r = start_router("shared")
    yield r
    stop_and_check(r)


@pytest.fixture(autouse=True)
def _router_still_up(request):
    """After every test that used the shared router, the router must still be running."""
    yield
    if "router" in request.fixturenames:
        r = request.getfixturevalue("router")
        if not r.alive():
            pytest.fail(f"the shared router died (exit code {r.proc.returncode}) during this test\n"
                        f"--- {r.log_path} ---\n{log_tail(r.log_path)}", pytrace=False)


@pytest.fixture
def router_factory(request):
    """Start private routers: `router_factory(name, realms=..., extra_args=...)`. Whatever the
    test leaves running is killed at teardown."""
    mine: list[Router] = []

    def make(name: str | None = None, **kw) -> Router:
        r = start_router(name or request.node.name.replace("/", "_"), **kw)
        mine.append(r)
        return r

    yield make
    for r in mine:
        if r.alive():
            r.stop(signal.SIGKILL, timeout=5)
        if r in _started:
            _started.remove(r)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for r in list(_started):
            rep.sections.append((f"router log {r.log_path.name} (last {LOG_TAIL_LINES} lines)",
                                 log_tail(r.log_path)))
