"""Processes for bench/ingest.py: pinned server subprocesses, readiness, and /proc readings."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from contactcenter.embedded import free_port as free_port  # the package's helper, re-exported

SERVER_CORE = 0
GENERATOR_CORE = 1
STOP_TIMEOUT_S = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    """A running server subprocess and where it listens."""

    name: str
    proc: subprocess.Popen[bytes]
    url: str
    log: Path
    pinned: bool


def can_pin() -> bool:
    """True when taskset exists and this process may run on both benchmark cores (ask first)."""
    cores = os.sched_getaffinity(0)
    return shutil.which("taskset") is not None and {SERVER_CORE, GENERATOR_CORE} <= cores


def pin_self(core: int) -> None:
    """Pin the calling process (the load generator) to one core, like `taskset -c core`."""
    os.sched_setaffinity(0, {core})


@contextlib.contextmanager
def server(
    name: str, argv: list[str], env: dict[str, str], port: int, log_dir: Path, *, pinned: bool
) -> Iterator[Server]:
    """Run `argv` (under `taskset -c SERVER_CORE` if pinned), logging to a file; always stop it."""
    cmd = ["taskset", "-c", str(SERVER_CORE), *argv] if pinned else argv
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield Server(name, proc, f"http://127.0.0.1:{port}", log_path, pinned)
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, wait up to STOP_TIMEOUT_S, then SIGKILL; always reap."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


async def wait_ready(srv: Server, timeout_s: float = 30.0) -> None:
    """Poll GET /readyz until it answers 200; fail early if the process exits."""
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() < deadline:
            if srv.proc.poll() is not None:
                raise RuntimeError(f"{srv.name} exited ({srv.proc.returncode}):\n{tail(srv.log)}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(f"{srv.url}/readyz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{srv.name} not ready after {timeout_s:.0f} s:\n{tail(srv.log)}")


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in kB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks over all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class PeakRss:
    """Samples a process's VmRSS and VmHWM every `interval_s`; keeps the peak."""

    def __init__(self, pid: int, interval_s: float = 0.1) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_kb = 0
        self.samples = 0

    def sample(self) -> None:
        """Take one reading (ignored once the process is gone)."""
        with contextlib.suppress(OSError):
            self.peak_kb = max([self.peak_kb, *memory_kb(self.pid).values()])
            self.samples += 1

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            self.sample()
            await asyncio.sleep(self.interval_s)

    @property
    def peak_mb(self) -> float:
        """Peak resident set size in MiB."""
        return self.peak_kb / 1024


class Usage:
    """CPU used by one server process and by the whole machine between start and `stop`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu0 = cpu_seconds(pid)
        self.busy0, self.total0 = machine_ticks()
        self.t0 = time.perf_counter()

    def stop(self) -> dict[str, float]:
        """Since construction: server CPU in % of one core; all cores' busy % and busy cores."""
        wall = time.perf_counter() - self.t0
        busy, total = machine_ticks()
        return {
            "server_cpu_pct": 100 * (cpu_seconds(self.pid) - self.cpu0) / wall,
            "machine_busy_pct": 100 * (busy - self.busy0) / max(1, total - self.total0),
            "machine_busy_cores": (busy - self.busy0) / CLOCK_TICKS / wall,
        }
