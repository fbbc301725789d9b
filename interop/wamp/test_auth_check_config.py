"""`wamp-router check-config FILE` (issue 9): the example configs pass; each broken variant
exits non-zero and names the problem as `path.to.key: what is wrong` on stderr. With
ROUTER_IMPL=crossbar the same files go through `crossbar check`, which must agree that the file
is broken, except where Crossbar accepts what this router refuses (CROSSBAR_ACCEPTS; measured,
listed in interop/crossbar/DIFFERENCES.md). Crossbar's messages have no path: only the exit
status is compared there."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest

from auth_helpers import IMPL, SECURE_CONFIG, USER_CONFIG, make_test_pki

CHECK_TIMEOUT = 60


def check(config_path: Path) -> subprocess.CompletedProcess:
    from conftest import REPO_ROOT, crossbar_bin, router_bin
    if IMPL == "crossbar":
        args = [str(crossbar_bin()), "check", "--cbdir", str(config_path.parent), "--config", config_path.name]
    else:
        binary = router_bin()
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            pytest.fail(f"router binary {binary} not found; build it first or set ROUTER_BIN", pytrace=False)
        args = [str(binary), "check-config", str(config_path)]
    return subprocess.run(args, capture_output=True, text=True, timeout=CHECK_TIMEOUT, cwd=REPO_ROOT,
                          stdin=subprocess.DEVNULL)


def user_config() -> dict:
    return json.loads(USER_CONFIG.read_text())


def write(tmp_path: Path, config: dict, name="config.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(config, indent=2))
    return path


def test_example_configs_are_valid(tmp_path):
    r = check(write(tmp_path, user_config()))
    assert r.returncode == 0, f"crossbar-user.json refused (exit {r.returncode}):\n{r.stderr}{r.stdout}"
    for name, data in make_test_pki().items():
        (tmp_path / name).write_bytes(data)
    secure = tmp_path / "config.yaml"
    secure.write_text(SECURE_CONFIG.read_text())
    r = check(secure)
    assert r.returncode == 0, f"secure-deployment.yaml refused (exit {r.returncode}):\n{r.stderr}{r.stdout}"


W = "workers[0]"
FRONTEND = f"{W}.realms[0].roles[1]"  # roles: anonymous, frontend, backend, restricted


def drop_uri(c):
    del c["workers"][0]["realms"][0]["roles"][1]["permissions"][0]["uri"]


def bad_match(c):
    c["workers"][0]["realms"][0]["roles"][1]["permissions"][1]["match"] = "regex"


def unknown_action(c):
    c["workers"][0]["realms"][0]["roles"][1]["permissions"][0]["allow"]["invoke"] = True


def unknown_role(c):
    c["workers"][0]["transports"][0]["auth"]["ticket"]["principals"]["alice"]["role"] = "no-such-role"


def duplicate_realm(c):
    c["workers"][0]["realms"][1]["name"] = "com.example.app"


def unknown_option(c):
    c["workers"][0]["transports"][0]["options"]["bogus_option"] = 1


def port_not_a_number(c):
    c["workers"][0]["transports"][1]["endpoint"]["port"] = "eighty"


def container_worker(c):
    c["workers"].append({"type": "container", "options": {}, "components": []})


def role_without_permissions_or_authorizer(c):
    c["workers"][0]["realms"][0]["roles"][1] = {"name": "frontend", "authorizer": 17}


BROKEN = [
    (drop_uri, [f"{FRONTEND}.permissions[0].uri"]),
    (bad_match, [f"{FRONTEND}.permissions[1].match"]),
    (unknown_action, [f"{FRONTEND}.permissions[0].allow.invoke"]),
    (unknown_role, [f"{W}.transports[0].auth.ticket.principals.alice.role"]),
    (duplicate_realm, [f"{W}.realms[1].name"]),
    (unknown_option, [f"{W}.transports[0].options.bogus_option"]),
    (port_not_a_number, [f"{W}.transports[1].endpoint.port"]),
    (container_worker, ["workers[1].type"]),
    (role_without_permissions_or_authorizer, [f"{FRONTEND}.authorizer"]),
]

# Mistakes `crossbar check` lets through (exit 0), measured with Crossbar 26.10.1 (a container
# worker is valid Crossbar, just not a router feature).
CROSSBAR_ACCEPTS = {"unknown_role", "duplicate_realm", "container_worker", "missing_tls_files"}


def assert_refused(r: subprocess.CompletedProcess, paths: list[str], what: str):
    out = f"exit {r.returncode}\n--- stderr ---\n{r.stderr}\n--- stdout ---\n{r.stdout}"
    if IMPL == "crossbar":
        if what in CROSSBAR_ACCEPTS:
            assert r.returncode == 0, f"Crossbar was measured to accept {what}, now: {out}"
        else:
            assert r.returncode != 0, f"crossbar check accepted {what}: {out}"
        return
    assert r.returncode != 0, f"check-config accepted {what}: {out}"
    lines = r.stderr.splitlines()
    for path in paths:
        hits = [line for line in lines if line.startswith(path + ": ") and line[len(path) + 2:].strip()]
        assert hits, f"no line `{path}: <what is wrong>` for {what}: {out}"


@pytest.mark.parametrize("mutate,paths", BROKEN, ids=[m.__name__ for m, _ in BROKEN])
def test_broken_config_is_refused_naming_the_path(tmp_path, mutate, paths):
    config = copy.deepcopy(user_config())
    mutate(config)
    assert_refused(check(write(tmp_path, config)), paths, mutate.__name__)


def test_every_problem_is_named(tmp_path):
    config = copy.deepcopy(user_config())
    for mutate, _ in (BROKEN[0], BROKEN[3], BROKEN[5]):
        mutate(config)
    assert_refused(check(write(tmp_path, config)), BROKEN[0][1] + BROKEN[3][1] + BROKEN[5][1], "three mistakes")


def test_missing_tls_files_are_named(tmp_path):
    """The secure example without its key and certificate next to it."""
    r = check(write(tmp_path, __import__("yaml").safe_load(SECURE_CONFIG.read_text())))
    assert_refused(r, [f"{W}.transports[0].endpoint.tls.key", f"{W}.transports[0].endpoint.tls.certificate"],
                   "missing_tls_files")


def test_yaml_with_a_mistake(tmp_path):
    text = SECURE_CONFIG.read_text().replace("match: prefix", "match: suffix", 1)
    for name, data in make_test_pki().items():
        (tmp_path / name).write_bytes(data)
    path = tmp_path / "config.yaml"
    path.write_text(text)
    assert_refused(check(path), [f"{W}.realms[0].roles[0].permissions[0].match"], "yaml_bad_match")
