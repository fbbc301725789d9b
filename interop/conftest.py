"""Fixtures for the interop tests: the built `wamp-router` binary, run as a real process.

- `router` (session scope): one router on a free loopback port with realms realm1 and realm2,
  shared by most tests. At teardown it gets SIGTERM and must exit 0 within 10 s.
- `router_factory` (function scope): start extra, private routers (the shutdown tests).
- `rawsocket_router` (session scope): like `router`, plus RawSocket on a free TCP port
  (`--rawsocket-port`) and on a Unix socket in a fresh temporary folder (`--rawsocket-unix`).
- `autobahn_serializer`: parametrizes a test over json, msgpack and cbor and makes that the
  serializer `wamp_helpers.autobahn_session` offers by default.

The binary is `$ROUTER_BIN` (default `.build/release/wamp-router`, relative to the repository
root). Each router's stdout/stderr go to `interop/reports/router-*.log`; the log tail is attached
to the report of every failing test and printed when a router fails to start or stop cleanly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
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
    rawsocket_port: int | None = None
    rawsocket_unix: str | None = None

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    @property
    def rawsocket_tcp(self) -> tuple[str, int]:
        """The RawSocket TCP endpoint (host, port), for RawSocketPeer.connect."""
        assert self.rawsocket_port is not None, "this router was started without --rawsocket-port"
        return (self.host, self.rawsocket_port)

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
_component_logs: list[Path] = []  # the backend component of app_router, while it runs


def _accepts(host: str, port: int | None, unix_path: str | None) -> bool:
    try:
        if unix_path is not None:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(0.5)
                s.connect(unix_path)
        else:
            with socket.create_connection((host, port), timeout=0.5):
                pass
        return True
    except OSError:
        return False


def start_router(name: str, realms=("realm1", "realm2"), extra_args=(), rawsocket_tcp: bool = False,
                 rawsocket_unix: str | None = None) -> Router:
    """Start a router on a free port; `rawsocket_tcp` adds `--rawsocket-port` on another free
    port, `rawsocket_unix` adds `--rawsocket-unix PATH`. Returns once every listener accepts."""
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
        rs_port = free_port() if rawsocket_tcp else None
        args = [str(binary), "--host", host, "--port", str(port), "--log-level", "info"]
        for realm in realms:
            args += ["--realm", realm]
        if rs_port is not None:
            args += ["--rawsocket-port", str(rs_port)]
        if rawsocket_unix is not None:
            args += ["--rawsocket-unix", rawsocket_unix]
        args += list(extra_args)
        log_file = open(log_path, "w")
        log_file.write("$ " + " ".join(args) + "\n")
        log_file.flush()
        proc = subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
        router = Router(proc, host, port, list(realms), log_path, log_file, rs_port, rawsocket_unix)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        waiting = [(port, None)] + ([(rs_port, None)] if rs_port else []) + \
                  ([(None, rawsocket_unix)] if rawsocket_unix else [])
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if _accepts(host, *waiting[0]):
                waiting.pop(0)
                if not waiting:
                    _started.append(router)
                    return router
            else:
                time.sleep(0.05)
        exited = proc.poll() is not None
        rc = router.stop(signal.SIGKILL, timeout=5)
        what = (f"router exited with code {rc} before accepting on {waiting[0]} ({host})" if exited
                else f"router did not accept on {waiting[0]} ({host}) within {STARTUP_TIMEOUT:.0f} s")
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


def short_tmp_dir(prefix: str) -> Path:
    """A fresh folder under /tmp: a Unix socket path must stay under ~100 octets, which
    pytest's own tmp_path does not promise."""
    import tempfile
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture(scope="session")
def rawsocket_router():
    """A router like the shared one (realms realm1 and realm2) that also listens for RawSocket
    on a free TCP port and on a Unix socket (`router.rawsocket_tcp`, `router.rawsocket_unix`)."""
    import shutil
    folder = short_tmp_dir("wamp-rs-")
    r = start_router("rawsocket", rawsocket_tcp=True, rawsocket_unix=str(folder / "router.sock"))
    yield r
    try:
        stop_and_check(r)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["json", "msgpack", "cbor"])
def autobahn_serializer(request):
    """Run the test once per serializer: wamp_helpers.autobahn_session offers only that one
    unless a test names another."""
    import wamp_helpers
    wamp_helpers.set_default_serializer(request.param)
    yield request.param
    wamp_helpers.set_default_serializer("json")


@pytest.fixture(autouse=True)
def _router_still_up(request):
    """After every test that used the shared router, the router must still be running."""
    yield
    for name in ("router", "rawsocket_router", "app_router", "secure_router"):
        if name in request.fixturenames:
            r = request.getfixturevalue(name)
            if not r.alive():
                pytest.fail(f"the {name} router died (exit code {r.proc.returncode}) during this test\n"
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
        for path in _component_logs:
            rep.sections.append((f"component log {path.name}", log_tail(path)))


# --------------------------------------------------------------------------------------------
# Routers started from a config file (issue 9): ours (`$ROUTER_BIN --config FILE`) or, with
# ROUTER_IMPL=crossbar, Crossbar.io (`crossbar start --cbdir DIR`) from the very same file.

ROUTER_IMPL = os.environ.get("ROUTER_IMPL", "ours")
CROSSBAR_STARTUP_TIMEOUT = float(os.environ.get("CROSSBAR_STARTUP_TIMEOUT", "90"))


def crossbar_bin() -> Path:
    """`$CROSSBAR_BIN`, else the crossbar of .venv-crossbar or .venv-bench (interop/crossbar/run.sh
    creates the first)."""
    if os.environ.get("CROSSBAR_BIN"):
        return Path(os.environ["CROSSBAR_BIN"])
    for venv in (".venv-crossbar", ".venv-bench"):
        path = REPO_ROOT / venv / "bin" / "crossbar"
        if path.is_file():
            return path
    return REPO_ROOT / ".venv-crossbar" / "bin" / "crossbar"


def load_config_text(name: str, text: str):
    if name.endswith((".yaml", ".yml")):
        import yaml
        return yaml.safe_load(text)
    import json
    return json.loads(text)


def transport_ports(config) -> list[int]:
    """The `endpoint.port` of every TCP transport of the (single) router worker, in file order
    (a Unix socket endpoint has a path instead, which start_configured_router rewrites)."""
    ports = []
    for worker in config.get("workers", []):
        for transport in worker.get("transports", []):
            if transport["endpoint"].get("type", "tcp") == "tcp":
                ports.append(int(transport["endpoint"]["port"]))
    return ports


def transport_unix_paths(config) -> list[str]:
    """The `endpoint.path` of every Unix socket transport, in file order."""
    return [t["endpoint"]["path"] for w in config.get("workers", []) for t in w.get("transports", [])
            if t["endpoint"].get("type") == "unix"]


def rewrite_ports(text: str, old_ports: list[int], new_ports: list[int]) -> str:
    """Replace each transport port number in the file text (comments and layout stay as they
    are). The example configs use every port number exactly once, which is checked here."""
    import re
    for old, new in zip(old_ports, new_ports):
        pattern = re.compile(rf"(?<![0-9.]){old}(?![0-9.])")
        count = len(pattern.findall(text))
        assert count == 1, f"port {old} must occur exactly once in the config text, found {count}"
        text = pattern.sub(str(new), text)
    return text


@dataclass
class ConfiguredRouter:
    """A router process started from a config file copied into `directory` with fresh ports."""

    impl: str
    proc: subprocess.Popen
    directory: Path
    config_path: Path
    ports: list[int]
    log_path: Path
    _log_file: object = field(repr=False, default=None)
    unix_paths: list[str] = field(default_factory=list)  # the Unix socket transports, in file order

    def url(self, transport: int = 0, path: str = "", scheme: str = "ws") -> str:
        return f"{scheme}://127.0.0.1:{self.ports[transport]}/{path}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = SHUTDOWN_TIMEOUT) -> int | None:
        return Router.stop(self, sig, timeout)  # same fields, same procedure

    def _close_log(self) -> None:
        Router._close_log(self)


def start_configured_router(name: str, template: Path, directory: Path, files: dict | None = None,
                            impl: str = ROUTER_IMPL, extra_args: list[str] | None = None) -> ConfiguredRouter:
    """Copy `template` into `directory` (next to `files`, name -> bytes, e.g. generated
    certificates) with every transport port replaced by a free one, and start `impl` on it.
    Ours runs with the repository as its working directory, so relative file names in the
    config only work if they are resolved against the config file's folder."""
    directory.mkdir(parents=True, exist_ok=True)
    for file_name, data in (files or {}).items():
        (directory / file_name).write_bytes(data)
    text = template.read_text()
    parsed = load_config_text(template.name, text)
    old_ports = transport_ports(parsed)
    # Unix socket paths go into `directory` (absolute, so that neither router resolves them
    # against its working directory); each must occur once in the text, as the ports.
    unix_paths = []
    for old in transport_unix_paths(parsed):
        new = str(directory / Path(old).name)
        assert text.count(f'"{old}"') == 1, f"unix path {old!r} must occur exactly once in the config text"
        text = text.replace(f'"{old}"', f'"{new}"')
        unix_paths.append(new)
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = REPORTS_DIR / f"{impl}-{name}.log"
    if impl == "crossbar":
        binary = crossbar_bin()
        if not binary.is_file():
            pytest.fail(f"crossbar not found at {binary}: run interop/crossbar/run.sh (it creates "
                        f".venv-crossbar) or set CROSSBAR_BIN", pytrace=False)
        config_path = directory / ("config.yaml" if template.suffix in (".yaml", ".yml") else "config.json")
        timeout = CROSSBAR_STARTUP_TIMEOUT
    else:
        binary = router_bin()
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            pytest.fail(f"router binary {binary} not found or not executable; build it first "
                        f"(swift build -c release) or set ROUTER_BIN", pytrace=False)
        config_path = directory / template.name
        timeout = STARTUP_TIMEOUT
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probe and bind: retry
        new_ports = [free_port() for _ in old_ports]
        config_path.write_text(rewrite_ports(text, old_ports, new_ports))
        if impl == "crossbar":
            args = [str(binary), "start", "--cbdir", str(directory), "--config", config_path.name,
                    "--loglevel", "info"]
        else:
            # Many tests here fail on purpose from 127.0.0.1: no slowing down (test_auth_throttle.py
            # checks the slowing on a router of its own).
            args = [str(binary), "--config", str(config_path), "--log-level", "info"]
            args += extra_args if extra_args is not None else ["--auth-failure-delay", "0"]
        log_file = open(log_path, "w")
        log_file.write("$ " + " ".join(args) + "\n")
        log_file.flush()
        proc = subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=REPO_ROOT, start_new_session=True)
        router = ConfiguredRouter(impl, proc, directory, config_path, new_ports, log_path, log_file,
                                  unix_paths)
        deadline = time.monotonic() + timeout
        waiting = [(p, None) for p in new_ports] + [(None, u) for u in unix_paths]
        while waiting and time.monotonic() < deadline and proc.poll() is None:
            if _accepts("127.0.0.1", *waiting[0]):
                waiting.pop(0)
            else:
                time.sleep(0.1)
        if not waiting and proc.poll() is None:
            _started.append(router)
            return router
        exited = proc.poll() is not None
        if not exited and impl == "crossbar":
            _kill_group(proc)
        rc = router.stop(signal.SIGKILL, timeout=5)
        what = (f"{impl} exited with code {rc} before accepting TCP on ports {new_ports}" if exited
                else f"{impl} did not accept TCP on ports {waiting} within {timeout:.0f} s")
        last_error = f"{what}\n--- {log_path} ---\n{log_tail(log_path)}"
        if "in use" not in log_path.read_text(errors="replace").lower():
            break  # retry only when a port was taken between probing and binding
    pytest.fail(last_error, pytrace=False)


def _kill_group(proc: subprocess.Popen) -> None:
    """Crossbar's controller forks its router worker: take the whole process group down."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def stop_configured_router(router: ConfiguredRouter) -> None:
    """SIGTERM; ours must exit 0 within 10 s (as the shared router). Crossbar gets 20 s, and
    whatever of its process group is left after that is killed."""
    if router in _started:
        _started.remove(router)
    if router.impl == "crossbar":
        rc = router.stop(signal.SIGTERM, 20.0)
        _kill_group(router.proc)
        return
    rc = router.stop(signal.SIGTERM, SHUTDOWN_TIMEOUT)
    if rc != 0:
        what = "did not exit within 10 s of SIGTERM" if rc is None else f"exited with code {rc} after SIGTERM"
        pytest.fail(f"router {what}\n--- {router.log_path} ---\n{log_tail(router.log_path)}",
                    pytrace=False)


@pytest.fixture(scope="session")
def router_impl() -> str:
    """`ours` (default) or `crossbar` (ROUTER_IMPL): which router the config-file tests start."""
    assert ROUTER_IMPL in ("ours", "crossbar"), f"ROUTER_IMPL must be ours or crossbar, not {ROUTER_IMPL!r}"
    return ROUTER_IMPL


@pytest.fixture
def configured_router_factory(tmp_path_factory, router_impl):
    """Start private routers from a config file: `make(name, template, files={...})`."""
    mine: list[ConfiguredRouter] = []

    def make(name: str, template: Path, files: dict | None = None) -> ConfiguredRouter:
        r = start_configured_router(name, template, tmp_path_factory.mktemp(name), files, router_impl)
        mine.append(r)
        return r

    yield make
    for r in mine:
        stop_configured_router(r)


# The example configs of interop/configs, started on ROUTER_IMPL for the test_auth_* tests
# (auth_helpers lives in interop/wamp, importable once those tests are collected).
BACKEND_READY_TIMEOUT = 20.0


@pytest.fixture(scope="session")
def app_router(tmp_path_factory, router_impl):
    """crossbar-user.json with its backend (authenticators, authorizer) connected and ready."""
    from auth_helpers import USER_CONFIG
    router = start_configured_router("crossbar-user", USER_CONFIG, tmp_path_factory.mktemp("crossbar-user"),
                                     impl=router_impl)
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = REPORTS_DIR / f"{router_impl}-auth-backend.log"
    log = open(log_path, "w")
    backend = subprocess.Popen([sys.executable, str(INTEROP_DIR / "wamp" / "auth_backend.py"), router.url(0)],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=INTEROP_DIR / "wamp")
    try:
        deadline = time.monotonic() + BACKEND_READY_TIMEOUT
        while "READY" not in log_path.read_text(errors="replace"):
            if backend.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the backend component did not get ready (exit {backend.poll()})\n"
                            f"--- {log_path} ---\n{log_tail(log_path)}\n--- {router.log_path} ---\n"
                            f"{log_tail(router.log_path)}", pytrace=False)
            time.sleep(0.1)
        router.backend = backend
        _component_logs.append(log_path)
        yield router
    finally:
        if log_path in _component_logs:
            _component_logs.remove(log_path)
        backend.terminate()
        try:
            backend.wait(5)
        except subprocess.TimeoutExpired:
            backend.kill()
            backend.wait()
        log.close()
        stop_configured_router(router)


@pytest.fixture(scope="session")
def pki():
    from auth_helpers import make_test_pki
    return make_test_pki()


@pytest.fixture(scope="session")
def secure_router(tmp_path_factory, router_impl, pki):
    """secure-deployment.yaml next to a freshly generated server.key / server.crt."""
    from auth_helpers import SECURE_CONFIG
    files = {name: data for name, data in pki.items() if name.startswith("server.")}
    router = start_configured_router("secure-deployment", SECURE_CONFIG,
                                     tmp_path_factory.mktemp("secure-deployment"), files, impl=router_impl)
    yield router
    stop_configured_router(router)
