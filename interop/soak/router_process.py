"""The router under soak: started on a free loopback port, sampled from /proc (VmRSS and the
open fds), stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Sample:
    elapsed: float
    rss_kib: int
    fds: int


class RouterProcess:
    def __init__(self, binary: Path, log_path: Path, extra_args: list[str]):
        self.port = free_port()
        self.args = [str(binary), "--host", "127.0.0.1", "--port", str(self.port), "--realm", "realm1",
                     *extra_args]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self._log = open(log_path, "w")
        self._log.write("$ " + " ".join(self.args) + "\n")
        self._log.flush()
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self._wait_listening()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"router exited with {self.proc.returncode} at start; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.proc.kill()
        raise RuntimeError(f"router did not listen within {STARTUP_TIMEOUT:.0f} s; see {self.log_path}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def sample(self, elapsed: float) -> Sample:
        """VmRSS from /proc/<pid>/status and the entries of /proc/<pid>/fd."""
        rss = 0
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                    break
        return Sample(elapsed, rss, len(os.listdir(f"/proc/{self.proc.pid}/fd")))

    def cpu_seconds(self) -> float:
        """User + system CPU time so far (/proc/<pid>/stat fields 14 and 15)."""
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> int | None:
        """SIGTERM; the exit code, or None (and SIGKILL) if it did not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._log.close()
                return None
        self._log.close()
        return self.proc.returncode

    def log_lines_containing(self, needle: str) -> int:
        with open(self.log_path, errors="replace") as log:
            return sum(needle in line for line in log)

    def log_level_counts(self) -> dict[str, int]:
        """Lines per log level (swift-log's StreamLogHandler writes ` <level> ` after the time)."""
        counts: dict[str, int] = {}
        with open(self.log_path, errors="replace") as log:
            for line in log:
                for level in ("trace", "debug", "info", "notice", "warning", "error", "critical"):
                    if f" {level} " in line[:60]:
                        counts[level] = counts.get(level, 0) + 1
                        break
        return counts
