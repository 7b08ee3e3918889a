"""Ingest benchmark: signed WhatsApp webhooks into one `contactcenter serve` process.

Usage: .venv/bin/python bench/ingest.py [--quick] [--duration S] [--concurrency N]
(see bench/README.md)

Creates a throwaway database, runs a bare aiohttp baseline and then contactcenter on core 0
with the load generators on core 1 (wrk for the saturation phases, this process for warm-up
and the fixed rate), checks every acknowledged message is stored, prints a summary and writes
bench/results/ingest-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import loadgen
import procs
import rawhttp
import redis.asyncio as aioredis
import report
import wrkload

from contactcenter import demo
from contactcenter.store import db
from contactcenter.store.migrations import migrate

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
ACCOUNT_ID = "00000000-0000-4000-8000-000000000201"
PHONE_NUMBER_ID = "106540352242922"
APP_SECRET = "demo-app-secret"
LOG_LEVEL = "warning"
WARMUP_CONCURRENCY = 64  # Python generator (rawhttp), warm-up; saturation uses --concurrency
WEBHOOK_PATH = f"/webhooks/whatsapp/{ACCOUNT_ID}"
RATE = 1000
SENDERS = 5000
WARMUP = 256
BARE_POOL = 5000
HEADROOM = 1.5  # contactcenter saturation pool = bare req/s * wrk seconds * HEADROOM
RATE_CONNECTIONS = 128  # opened before the warm-up; covers a ~128 ms stall at 1,000/s
RATE_MAX_CONNECTIONS = rawhttp.MAX_CONNECTIONS  # more are opened on demand up to this cap
# Between phases, so each starts with an idle server. The fixed rate runs before saturation:
# measured after it, it mostly measured autovacuum catching up on the burst (p99 100-170 ms
# against 25-40 ms before, with the generator itself falling behind on the shared core).
PAUSE_S = 1.0


def parse_args() -> argparse.Namespace:
    """Command line: --quick for 3 s phases, --duration to set them, --concurrency for wrk."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s phases instead of 15 s")
    parser.add_argument("--duration", type=float, help="seconds per load phase (overrides)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=wrkload.WRK_CONNECTIONS,
        help=f"wrk connections in the saturation phases (default {wrkload.WRK_CONNECTIONS})",
    )
    args = parser.parse_args()
    args.duration = args.duration or (3.0 if args.quick else 15.0)
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    return args


@contextlib.asynccontextmanager
async def bench_database(admin_url: str) -> AsyncIterator[str]:
    """Create cc_bench_<random>, migrate it, load the demo data; drop it afterwards."""
    name = f"cc_bench_{secrets.token_hex(4)}"
    dsn = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            await migrate(dsn)
            conn = await db.connect(dsn)  # with the app's JSON codecs
            try:
                await demo.load(conn)
            finally:
                await conn.close()
            yield dsn
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def redis_cleanup(url: str) -> AsyncIterator[None]:
    """Delete afterwards the Redis keys that appeared during the run (arq jobs, queue)."""
    client = aioredis.Redis.from_url(url)
    try:
        before = {key async for key in client.scan_iter(count=1000)}
        try:
            yield
        finally:
            new = [key async for key in client.scan_iter(count=1000) if key not in before]
            if new:
                await client.delete(*new)
    finally:
        await client.aclose()


def hooks(first: int, count: int, run: str) -> list[loadgen.Webhook]:
    """Pre-generate signed webhooks for the demo WhatsApp account."""
    return loadgen.make_webhooks(
        first,
        count,
        run=run,
        senders=SENDERS,
        phone_number_id=PHONE_NUMBER_ID,
        app_secret=APP_SECRET,
    )


async def measure(
    srv: procs.Server, phase: Awaitable[loadgen.PhaseResult]
) -> tuple[loadgen.PhaseResult, dict[str, float]]:
    """Run one load phase against `srv`; return its result and the CPU it cost."""
    usage = procs.Usage(srv.proc.pid)
    result = await phase
    return result, usage.stop()


async def saturate_wrk(
    srv: procs.Server, payloads: Path, args: argparse.Namespace, *, cycle: bool
) -> dict[str, Any]:
    """Closed-loop saturation of `srv` by wrk from the payload file; return its numbers."""
    done = await wrkload.run(
        srv.url,
        WEBHOOK_PATH,
        payloads,
        args.duration,
        args.concurrency,
        server_pid=srv.proc.pid,
        cycle=cycle,
        pinned=args.pinned,
    )
    return report.saturation_wrk(wrkload.phase_result(done), done.usage)


async def bare_phase(
    pool: list[loadgen.Webhook], payloads: Path, args: argparse.Namespace, log_dir: Path
) -> dict[str, Any]:
    """Warm up the bare aiohttp server, then saturate it with wrk (cycling the pool)."""
    port = procs.free_port()
    argv = [str(VENV_BIN / "python"), str(ROOT / "bench" / "bare_server.py"), "--port", str(port)]
    env = dict(os.environ)
    with procs.server("bare", argv, env, port, log_dir, pinned=args.pinned) as srv:
        await procs.wait_ready(srv)
        with contextlib.closing(rawhttp.Client(srv.url, WEBHOOK_PATH)) as client:
            await client.closed_loop(client.prepare(pool[:WARMUP]), WARMUP_CONCURRENCY)
        return await saturate_wrk(srv, payloads, args, cycle=True)


def server_env(dsn: str, redis_url: str) -> dict[str, str]:
    """Environment for `contactcenter serve`: this run's database and Redis, quiet logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    return env | {"CC_DATABASE_URL": dsn, "CC_REDIS_URL": redis_url, "CC_LOG_LEVEL": LOG_LEVEL}


async def contactcenter_phases(
    env: dict[str, str],
    warm_pool: list[loadgen.Webhook],
    sat_payloads: Path,
    rate_pool: list[loadgen.Webhook],
    args: argparse.Namespace,
    log_dir: Path,
) -> tuple[dict[str, Any], list[str]]:
    """Warm up, hold 1,000 msg/s, then saturate with wrk; return the numbers and acked wamids.

    The acked wamids are those of the Python generator's phases (warm-up and fixed rate); wrk's
    saturation webhooks are only in `sat_payloads` and are verified by count (see `verify`).
    """
    port, duration = procs.free_port(), args.duration
    argv = [str(VENV_BIN / "contactcenter"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with procs.server("contactcenter", argv, env, port, log_dir, pinned=args.pinned) as srv:
        await procs.wait_ready(srv)
        rss = procs.PeakRss(srv.proc.pid)
        sampler = asyncio.create_task(rss.run())
        try:
            client = rawhttp.Client(srv.url, WEBHOOK_PATH, RATE_MAX_CONNECTIONS)
            with contextlib.closing(client):
                warm_batch, rate_batch = client.prepare(warm_pool), client.prepare(rate_pool)
                await client.open(RATE_CONNECTIONS)
                warm = await client.closed_loop(warm_batch, WARMUP_CONCURRENCY)
                await asyncio.sleep(PAUSE_S)
                phase = client.open_loop(rate_batch, RATE, duration)
                fixed, fixed_usage = await measure(srv, phase)
            await asyncio.sleep(PAUSE_S)
            sat = await saturate_wrk(srv, sat_payloads, args, cycle=False)
        finally:
            sampler.cancel()
            rss.sample()
        log = srv.log.read_text(errors="replace").splitlines()
    numbers = {
        "warmup": {"sent": warm.sent, "ok": warm.ok},
        "saturation": sat,
        "fixed_rate": report.fixed_rate(fixed, fixed_usage, RATE),
        "peak_rss_mb": round(rss.peak_mb, 1),
        "rss_samples": rss.samples,
        "server_log_lines": len(log),
        "server_log_tail": log[-20:],
    }
    return numbers, warm.acked + fixed.acked


async def verify(dsn: str, acked: list[str], sat_sent: list[str], sat_ok: int) -> dict[str, Any]:
    """Check acknowledged messages are stored: by wamid for the Python generator's phases; for
    wrk's saturation by count, since every webhook it got 200 for is among the lines it sent."""
    conn = await asyncpg.connect(dsn)
    try:
        query = "SELECT count(*) FROM messages WHERE platform_message_id = ANY($1)"
        found = await conn.fetchval(query, acked)
        stored_of_sent = await conn.fetchval(query, sat_sent)
        total = await conn.fetchval("SELECT count(*) FROM messages")
        tickets = await conn.fetchval("SELECT count(*) FROM tickets")
    finally:
        await conn.close()
    exact_missing = len(set(acked)) - found
    sat_missing = max(0, sat_ok - stored_of_sent)
    return {
        "exact": {
            "phases": ["warmup", "fixed_rate"],
            "acknowledged": len(acked),
            "unique_acknowledged": len(set(acked)),
            "found": found,
            "missing": exact_missing,
        },
        "saturation": {
            "sent": len(sat_sent),
            "ok": sat_ok,
            "stored_of_sent": stored_of_sent,
            "pass": stored_of_sent >= sat_ok,
            "short": sat_missing,
        },
        "missing": exact_missing + sat_missing,
        "stored_other": total - found - stored_of_sent,
        "tickets": tickets,
    }


def redact(url: str) -> str:
    """A URL without user and password, fit for the results file."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def stop_on_signals() -> None:
    """On the first SIGINT/SIGTERM cancel the run; later ones wait for the cleanup to finish."""
    task = asyncio.current_task()
    assert task is not None

    def cancel() -> None:
        if not task.cancelling():
            print("stopping: terminating servers, dropping the database ...", file=sys.stderr)
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, cancel)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark; every process and the database are cleaned up on any exit."""
    stop_on_signals()
    admin_url = os.environ.get("CC_BENCH_DATABASE_URL", "postgresql://root@127.0.0.1:5432/test")
    redis_url = os.environ.get("CC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    run_id = secrets.token_hex(4)
    started, host = time.time(), report.machine()
    async with contextlib.AsyncExitStack() as stack:
        dsn = await stack.enter_async_context(bench_database(admin_url))
        await stack.enter_async_context(redis_cleanup(redis_url))
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cc-bench-")))
        t0 = time.perf_counter()
        pool = hooks(0, BARE_POOL, run_id)  # bare: cycled by wrk; its first WARMUP warm up both
        bare_file = wrkload.write_payloads(pool, log_dir / "bare.payloads")
        pregen_s = time.perf_counter() - t0
        bare = await bare_phase(pool, bare_file, args, log_dir)
        t0 = time.perf_counter()
        sat_file, sat_wamids = saturation_pool(bare["req_per_s"], args.duration, run_id, log_dir)
        rate_pool = hooks(BARE_POOL + len(sat_wamids), int(RATE * args.duration), run_id)
        pregen_s += time.perf_counter() - t0
        env = server_env(dsn, redis_url)
        cc, acked = await contactcenter_phases(
            env, pool[:WARMUP], sat_file, rate_pool, args, log_dir
        )
        sat = cc["saturation"]
        check = await verify(dsn, acked, sat_wamids[: sat["sent"]], sat["ok"])
    config = {
        "duration_s": args.duration,
        "quick": args.quick,
        "saturation_generator": f"wrk {wrkload.WRK_THREADS} thread, {args.concurrency} conns",
        "concurrency": args.concurrency,
        "wrk_duration_s": wrkload.wrk_seconds(args.duration),
        "saturation_pool": len(sat_wamids),
        "warmup_concurrency": WARMUP_CONCURRENCY,
        "fixed_rate_per_s": RATE,
        "python_generator": "rawhttp (asyncio HTTP/1.1, pre-serialized requests)",
        "fixed_rate_connections": RATE_CONNECTIONS,
        "fixed_rate_max_connections": RATE_MAX_CONNECTIONS,
        "senders": SENDERS,
        "warmup_requests": WARMUP,
        "webhooks_pregenerated": len(pool) + len(sat_wamids) + len(rate_pool),
        "pregeneration_s": round(pregen_s, 2),
        "log_level": LOG_LEVEL,
        "server_core": procs.SERVER_CORE if args.pinned else None,
        "generator_core": procs.GENERATOR_CORE if args.pinned else None,
        "database_server": redact(admin_url),
        "redis": redact(redis_url),
    }
    return report.assemble(config, host, bare, cc, check, started)


def saturation_pool(
    bare_rate: float, duration_s: float, run_id: str, log_dir: Path
) -> tuple[Path, list[str]]:
    """Sign enough unique webhooks that wrk never wraps; write its file, keep only the wamids."""
    seconds = wrkload.wrk_seconds(duration_s)
    count = max(BARE_POOL, math.ceil(bare_rate * seconds * HEADROOM)) + 1  # +1: wrk's check
    sat = hooks(BARE_POOL, count, run_id)
    path = wrkload.write_payloads(sat, log_dir / "contactcenter.payloads")
    return path, [hook.wamid for hook in sat]


def run_loop(main: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """Run on uvloop when installed (as `contactcenter serve` does), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def main() -> None:
    """Pin the generator, run, print the summary, write the JSON file. `--profile mixed` runs
    the mixed-channel profile instead (bench/ingest_mixed.py: 13 channels, signed each)."""
    if "--profile" in sys.argv:
        at = sys.argv.index("--profile")
        profile = sys.argv[at + 1] if at + 1 < len(sys.argv) else ""
        if profile not in ("whatsapp", "mixed"):
            raise SystemExit("--profile is whatsapp (the default) or mixed")
        del sys.argv[at : at + 2]
        if profile == "mixed":
            import ingest_mixed

            ingest_mixed.main()
            return
    args = parse_args()
    try:
        wrkload.require()  # before creating anything
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None
    args.pinned = procs.can_pin()  # before pinning this process, which narrows its affinity
    if args.pinned:
        procs.pin_self(procs.GENERATOR_CORE)
    try:
        results = run_loop(run(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise SystemExit("interrupted: servers stopped, benchmark database dropped") from None
    path = report.write(results, ROOT / "bench" / "results")
    print(report.summary(results))
    print(f"\nresults: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
