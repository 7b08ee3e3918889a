"""Saturation load for bench/ingest.py from wrk: pre-signed webhooks posted by bench/wrk_post.lua.

The Python generator (loadgen.py) tops out near 4,000 req/s on one core, below what the bare
server answers, so the closed-loop saturation phases run wrk (C, one thread, one core) instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import loadgen
import procs

SCRIPT = Path(__file__).resolve().with_name("wrk_post.lua")
# A closed loop's throughput is concurrency / latency. The server's group commit batches
# whatever is in flight, so latency grows with the batch and 64 connections cap the rate below
# saturation; 256 keep enough requests queued that the server, not the loop, sets the rate.
WRK_CONNECTIONS = 256
WRK_THREADS = 1  # one thread: the generator gets exactly one core
TIMEOUT_S = 10  # like loadgen.REQUEST_TIMEOUT_S
MARKER = "CCSTATS "
READY = b"CCREADY"
INSTALL_HINT = "wrk not found on PATH: install it with `apt-get install wrk`"


@dataclass(frozen=True, slots=True)
class WrkRun:
    """One wrk run: CCSTATS numbers, CPU use over the timed part, and wrk's full output."""

    stats: dict[str, Any]
    usage: dict[str, float]
    gen_cpu_s: float
    wall_s: float
    stdout: str
    stderr: str


def require() -> str:
    """Path of the wrk binary; raise with an install hint when it is missing."""
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError(INSTALL_HINT)
    return path


def write_payloads(hooks: Sequence[loadgen.Webhook], path: Path) -> Path:
    """Write one `signature<TAB>body` line per webhook, in order, for wrk_post.lua."""
    with path.open("wb") as out:
        for hook in hooks:
            if b"\n" in hook.body or "\t" in hook.signature:
                raise ValueError(f"webhook {hook.wamid} does not fit on one line")
            out.write(hook.signature.encode() + b"\t" + hook.body + b"\n")
    return path


def wrk_seconds(duration_s: float) -> int:
    """wrk takes whole seconds: round the phase length, at least 1 s."""
    return max(1, round(duration_s))


def command(url: str, duration_s: float, connections: int, *, pinned: bool) -> list[str]:
    """The wrk argv, under `taskset -c GENERATOR_CORE` when pinned."""
    argv = [
        require(),
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{wrk_seconds(duration_s)}s",
        f"--timeout={TIMEOUT_S}s",
        "-s",
        str(SCRIPT),
        url,
    ]
    return ["taskset", "-c", str(procs.GENERATOR_CORE), *argv] if pinned else argv


def parse_stats(stdout: str) -> dict[str, Any]:
    """The JSON object on wrk_post.lua's CCSTATS line."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            stats: dict[str, Any] = json.loads(line[len(MARKER) :])
            return stats
    raise ValueError("no CCSTATS line in wrk's output")


def children_cpu_s() -> float:
    """User + system CPU of this process's reaped children (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def read_until_ready(stream: asyncio.StreamReader, seen: list[bytes]) -> bool:
    """Read wrk's stderr up to wrk_post.lua's ready line, keeping the other lines."""
    while line := await stream.readline():
        if line.rstrip() == READY:
            return True
        seen.append(line)
    return False


def environment(payloads: Path, path: str, *, cycle: bool) -> dict[str, str]:
    """wrk's environment: what wrk_post.lua reads at init."""
    extra = {"PAYLOADS": str(payloads), "TARGET_PATH": path, "CYCLE": "1" if cycle else "0"}
    return dict(os.environ) | extra


@dataclass(frozen=True, slots=True)
class Meters:
    """Readings over wrk's timed run: server and machine CPU, wrk's CPU before it, wall time."""

    usage: dict[str, float]
    init_cpu_s: float
    wall_s: float


async def meter(
    proc: asyncio.subprocess.Process, server_pid: int
) -> tuple[str, str, Meters | None]:
    """Read all of wrk's output; meter CPU from its ready line to its exit (None: never ready)."""
    assert proc.stdout is not None
    assert proc.stderr is not None
    stdout = asyncio.ensure_future(proc.stdout.read())
    seen: list[bytes] = []
    ready = await read_until_ready(proc.stderr, seen)
    usage, t0, init_cpu = procs.Usage(server_pid), time.perf_counter(), wrk_cpu_s(proc.pid)
    seen.append(await proc.stderr.read())
    out = await stdout
    await proc.wait()
    meters = Meters(usage.stop(), init_cpu, time.perf_counter() - t0)
    return (
        out.decode(errors="replace"),
        b"".join(seen).decode(errors="replace"),
        (meters if ready else None),
    )


async def reap(proc: asyncio.subprocess.Process) -> None:
    """Kill wrk if it still runs (the phase was cancelled) and wait for it."""
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


def wrk_cpu_s(pid: int) -> float:
    """CPU wrk has used so far (0 if it is already gone)."""
    try:
        return procs.cpu_seconds(pid)
    except OSError:
        return 0.0


async def run(
    url: str,
    path: str,
    payloads: Path,
    duration_s: float,
    connections: int,
    *,
    server_pid: int,
    cycle: bool,
    pinned: bool,
) -> WrkRun:
    """Run wrk against `url` + `path` for the phase, metering CPU; fail loudly on any error."""
    argv = command(url + path, duration_s, connections, pinned=pinned)
    cpu0 = children_cpu_s()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        env=environment(payloads, path, cycle=cycle),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr, meters = await meter(proc, server_pid)
    finally:
        await reap(proc)
    if proc.returncode != 0 or meters is None:
        raise RuntimeError(f"wrk failed (exit {proc.returncode}):\n{stdout}\n{stderr}")
    try:
        stats = parse_stats(stdout)
    except ValueError as exc:
        raise RuntimeError(f"{exc}:\n{stdout}\n{stderr}") from None
    gen_cpu = children_cpu_s() - cpu0 - meters.init_cpu_s
    return WrkRun(stats, meters.usage, gen_cpu, meters.wall_s, stdout, stderr)


def phase_result(done: WrkRun) -> dict[str, Any]:
    """wrk's numbers in the shape report.saturation_wrk expects (a PhaseResult-like dict)."""
    s = done.stats
    socket_errors = sum(s["errors"][k] for k in ("connect", "read", "write", "timeout"))
    elapsed = float(s["duration_s"])
    return {
        "generator": "wrk",
        "sent": s["sent"],
        "requests": s["requests"],
        "ok": s["ok"],
        "non_200": s["non200"],
        "socket_errors": socket_errors,
        "wrk_errors": s["errors"],
        "statuses": {"200": s["ok"], "other": s["non200"]},
        "elapsed_s": elapsed,
        "generator_cpu_pct": 100 * done.gen_cpu_s / done.wall_s if done.wall_s else 0.0,
        "p50_ms": s["p50_ms"],
        "p90_ms": s["p90_ms"],
        "p99_ms": s["p99_ms"],
        "max_ms": s["max_ms"],
        "mean_ms": s["mean_ms"],
        "pool": s["pool"],
        "pool_exhausted": bool(s["exhausted"]),
        # wrk's script check takes the first line without sending it
        "in_flight_at_stop": max(0, s["sent"] - 1 - s["requests"]),
    }
