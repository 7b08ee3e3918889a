"""SLA benchmark: breach lag with 100,000 open tickets; board metric latency at 1,000,000.

Usage: .venv/bin/python bench/sla.py [--quick] [--only lag|metrics]

A. Breach lag. A throwaway database holds 100,000 open tickets, each with a running first-
   response clock; 20,000 fall due evenly over 20 s (1,000/s), the rest hours later. Their
   timers are scheduled as the SLA engine schedules them (live.schedule_sla), then two
   `contactcenter worker` processes record the breaches. Lag = fired_at - due_at of each
   breach, from PostgreSQL. Baseline, same run: an arq worker in this process running a no-op
   job deferred to the same kind of instants (arq's own lateness with the same poll_delay).
   Also checked: every due clock breached exactly once.
B. Metrics. Another database holds 1,000,000 tickets over 30 days (2,000,000 SLA clocks),
   the board's rollups refreshed once as the worker's sweep does (timed);
   `contactcenter serve` answers the board endpoints, each requested 200 times one after
   another; baseline: a bare aiohttp handler (bench/bare_server.py) on the same machine.
Prints a summary and writes bench/results/sla-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import ingest
import procs
import report
import sla_seed
from arq import create_pool
from arq.worker import Worker, func

from contactcenter import board, constants, live
from contactcenter.actions.users import do_create_user
from contactcenter.api.schemas import UserIn
from contactcenter.app import redis_settings
from contactcenter.store import db

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
WARN_AT = 0.999  # one warning 3.6 s before each breach: timers for both stages
SOON = """
SELECT DISTINCT x.at FROM sla_clocks c, LATERAL (VALUES (c.next_fire_at), (c.due_at)) x (at)
WHERE x.at < now() + interval '1 hour'
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    parser.add_argument("--only", choices=("lag", "metrics"))
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    args.open_tickets, args.due = 100_000 // scale, 20_000 // scale
    args.window_s = 20.0
    args.history = 1_000_000 // scale
    args.requests = 200 // (2 if args.quick else 1)
    return args


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 4)

    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99),
            "max": round(ordered[-1], 4), "mean": round(statistics.fmean(ordered), 4)}  # fmt: skip


async def wait_until(done: Any, timeout_s: float, every_s: float = 0.1) -> None:
    """Poll `done()` (a callable, maybe async) until true or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = done()
        if await result if asyncio.iscoroutine(result) else result:
            return
        await asyncio.sleep(every_s)


def env_for(dsn: str, redis_url: str) -> dict[str, str]:
    return ingest.server_env(dsn, redis_url)


async def _empty(conn: Any) -> bool:
    return not await conn.fetchval("SELECT count(*) FROM sla_work")


async def bare_timer_lag(redis_url: str, count: int, window_s: float) -> dict[str, float]:
    """arq's own lateness: no-op jobs deferred over the window, run by a worker in-process."""
    lags: list[float] = []

    async def noop(ctx: dict[str, Any], due: float) -> None:
        lags.append(time.time() - due)

    queue = "cc:bench:bare-timer"
    pool = await create_pool(redis_settings(redis_url), default_queue_name=queue)
    start = time.time() + 2.0
    for i in range(count):
        due = start + i * window_s / count
        await pool.enqueue_job("noop", due, _defer_until=datetime.fromtimestamp(due, UTC),
                               _queue_name=queue)  # fmt: skip
    worker = Worker(functions=[func(noop, name="noop", keep_result=0)], redis_pool=pool,
                    queue_name=queue, poll_delay=0.02, handle_signals=False,
                    max_jobs=50)  # fmt: skip
    task = asyncio.ensure_future(worker.async_run())
    try:
        await wait_until(lambda: len(lags) >= count, window_s + 30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()
    return percentiles(lags)


async def lag(
    admin_url: str, redis_url: str, args: argparse.Namespace, log_dir: Path
) -> dict[str, Any]:
    async with ingest.bench_database(admin_url) as dsn, ingest.redis_cleanup(redis_url):
        conn = await db.connect(dsn)
        try:
            ref = await sla_seed.ids(conn)
            policy = await conn.fetchval(sla_seed.POLICY, ref["brand"], [WARN_AT])
            await conn.execute(sla_seed.CONTACTS, ref["brand"], args.open_tickets)
            first_due = datetime.now(UTC) + timedelta(seconds=25)
            t0 = time.perf_counter()
            await conn.execute(
                sla_seed.OPEN_TICKETS, ref["brand"], args.open_tickets, args.due, first_due,
                args.window_s, ref["account"], ref["queue"], ref["agents"][0], policy, WARN_AT,
            )  # fmt: skip
            await conn.execute("VACUUM ANALYZE tickets")
            await conn.execute("VACUUM ANALYZE sla_clocks")
            seed_s = time.perf_counter() - t0
            soon = await conn.fetch(SOON)
            instants = [r["at"] for r in soon]
            arq = await create_pool(
                redis_settings(redis_url), default_queue_name=constants.ARQ_QUEUE
            )
            try:
                await live.schedule_sla(arq, instants)  # what the engine does after a sync
            finally:
                await arq.aclose()
            argv = [str(VENV_BIN / "contactcenter"), "worker"]
            env = env_for(dsn, redis_url)
            with contextlib.ExitStack() as stack:
                for n in range(2):
                    stack.enter_context(
                        procs.server(f"worker{n}", argv, env, 0, log_dir, pinned=False)
                    )
                deadline = first_due + timedelta(seconds=args.window_s + 30)
                while datetime.now(UTC) < deadline:
                    done = await conn.fetchval("SELECT count(*) FROM sla_alerts WHERE stage = 0")
                    if done >= args.due:
                        break
                    await asyncio.sleep(0.5)
                rows = await conn.fetch(
                    "SELECT clock_id, stage, extract(epoch FROM fired_at - due_at)::float8 AS lag "
                    "FROM sla_alerts")  # fmt: skip
                breached = await conn.fetchval(
                    "SELECT count(*) FROM sla_clocks WHERE breached_at IS NOT NULL"
                )
                # Then: every open ticket recomputed through sla_work by the same two workers.
                await conn.execute("INSERT INTO sla_work (ticket_id) SELECT id FROM tickets")
                t1 = time.perf_counter()
                arq = await create_pool(
                    redis_settings(redis_url), default_queue_name=constants.ARQ_QUEUE
                )
                try:
                    await live.request_sla(arq)
                finally:
                    await arq.aclose()
                await wait_until(lambda: _empty(conn), 600, 0.2)
                drain_s = time.perf_counter() - t1
        finally:
            await conn.close()
    breaches = [r["lag"] for r in rows if r["stage"] == 0]
    warnings = [r["lag"] for r in rows if r["stage"] != 0]
    per_clock = {(r["clock_id"], r["stage"]) for r in rows}
    bare = await bare_timer_lag(redis_url, 2000, args.window_s)
    ours = percentiles(breaches)
    return {
        "open_tickets": args.open_tickets, "due": args.due, "window_s": args.window_s,
        "seed_s": round(seed_s, 1), "timers_scheduled": len(instants),
        "breach_lag_s": ours, "warning_lag_s": percentiles(warnings),
        "breaches_recorded": len(breaches), "clocks_marked_breached": breached,
        "duplicate_alerts": len(rows) - len(per_clock),
        "bare_arq_lag_s": bare,
        "p99_ratio_vs_bare": round(ours["p99"] / bare["p99"], 1) if bare.get("p99") else None,
        "recompute_all_open_s": round(drain_s, 1),
        "recompute_per_s": round(args.open_tickets / drain_s) if drain_s else None,
    }  # fmt: skip


ENDPOINTS = (
    "/api/v1/metrics/queues?from={day}",
    "/api/v1/metrics/queues?from={day}&interval=30",
    "/api/v1/metrics/sla?from={day}",
    "/api/v1/metrics/agents?from={day}",
    "/api/v1/metrics/queues?from={week}",
    "/api/v1/metrics/sla?from={week}",
    "/api/v1/metrics/coverage?queue_id={queue}",
    "/metrics",
)


async def timed_gets(url: str, paths: list[str], headers: dict[str, str], n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with aiohttp.ClientSession(headers=headers) as session:
        for path in paths:
            for _ in range(5):  # warm-up
                async with session.get(url + path) as resp:
                    assert resp.status == 200, (path, resp.status, await resp.text())
                    await resp.read()
            times = []
            for _ in range(n):
                t = time.perf_counter()
                async with session.get(url + path) as resp:
                    await resp.read()
                times.append((time.perf_counter() - t) * 1000)
            out[path] = percentiles(times)
    return out


async def metrics(
    admin_url: str, redis_url: str, args: argparse.Namespace, log_dir: Path
) -> dict[str, Any]:
    async with ingest.bench_database(admin_url) as dsn, ingest.redis_cleanup(redis_url):
        conn = await db.connect(dsn)
        try:
            ref = await sla_seed.ids(conn)
            policy = await conn.fetchval(sla_seed.POLICY, ref["brand"], [0.8])
            await conn.execute(sla_seed.CONTACTS, ref["brand"], 50_000)
            t0 = time.perf_counter()
            open_now = args.history // 50  # 2 % of the month is still open
            await conn.execute(sla_seed.HISTORY, ref["brand"], args.history, open_now,
                               ref["account"], ref["queue"], ref["agents"])  # fmt: skip
            await conn.execute(sla_seed.HISTORY_CLOCKS, ref["brand"], policy)
            await conn.execute("VACUUM ANALYZE tickets")
            await conn.execute("VACUUM ANALYZE sla_clocks")
            seed_s = time.perf_counter() - t0
            t1 = time.perf_counter()  # what the worker's first sweep does (then hourly)
            assert await board.refresh(conn, datetime.now(UTC))
            refresh_all_s = time.perf_counter() - t1
            t1 = time.perf_counter()  # what every later sweep does (at most every 15 s)
            await conn.fetchval("SELECT refresh_board('recent', now() - interval '1 day')")
            refresh_recent_s = time.perf_counter() - t1
            counts = {
                "tickets": await conn.fetchval("SELECT count(*) FROM tickets"),
                "sla_clocks": await conn.fetchval("SELECT count(*) FROM sla_clocks"),
            }
            _, token = await do_create_user(
                conn, UserIn(email="bench@example.com", name="Bench", role="supervisor")
            )
        finally:
            await conn.close()
        now = datetime.now(UTC)
        day = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        week = (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        paths = [p.format(day=day, week=week, queue=ref["queue"]) for p in ENDPOINTS]
        port = procs.free_port()
        argv = [
            str(VENV_BIN / "contactcenter"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        with procs.server(
            "contactcenter", argv, env_for(dsn, redis_url), port, log_dir, pinned=False
        ) as srv:
            await procs.wait_ready(srv)
            ours = await timed_gets(
                srv.url, paths, {"Authorization": f"Bearer {token}"}, args.requests
            )
        bare_port = procs.free_port()
        bare_argv = [
            str(VENV_BIN / "python"),
            str(ROOT / "bench" / "bare_server.py"),
            "--port",
            str(bare_port),
        ]
        with procs.server(
            "bare", bare_argv, {**os.environ}, bare_port, log_dir, pinned=False
        ) as srv:
            await procs.wait_ready(srv)
            bare = (await timed_gets(srv.url, ["/readyz"], {}, args.requests))["/readyz"]
    return {
        "rows": counts, "seed_s": round(seed_s, 1), "requests_each": args.requests,
        "refresh_all_s": round(refresh_all_s, 2), "refresh_recent_s": round(refresh_recent_s, 2),
        "endpoints_ms": ours, "bare_ms": bare,
        "p99_ratio_vs_bare": {p: round(v["p99"] / bare["p99"], 1) for p, v in ours.items()},
    }  # fmt: skip


async def run(args: argparse.Namespace) -> dict[str, Any]:
    ingest.stop_on_signals()
    admin_url = os.environ.get("CC_BENCH_DATABASE_URL", "postgresql://root@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("CC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    results: dict[str, Any] = {
        "machine": report.machine(), "git": report.git(),
        "started": datetime.now(UTC).isoformat(), "quick": args.quick,
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cc-bench-sla-") as tmp:
        if args.only in (None, "lag"):
            results["lag"] = await lag(admin_url, redis_url, args, Path(tmp))
        if args.only in (None, "metrics"):
            results["metrics"] = await metrics(admin_url, redis_url, args, Path(tmp))
    return results


def summary(r: dict[str, Any]) -> str:
    lines = []
    if "lag" in r:
        a = r["lag"]
        lines += [
            f"A. breach lag: {a['open_tickets']:,} open tickets, {a['due']:,} due over "
            f"{a['window_s']:.0f} s, 2 workers",
            f"   breach lag s:   {a['breach_lag_s']}",
            f"   warning lag s:  {a['warning_lag_s']}",
            f"   bare arq no-op: {a['bare_arq_lag_s']}",
            f"   p99 ratio vs bare: {a['p99_ratio_vs_bare']}x",
            f"   breaches {a['breaches_recorded']:,}, clocks breached "
            f"{a['clocks_marked_breached']:,}, duplicate alerts {a['duplicate_alerts']}",
            f"   all {a['open_tickets']:,} open tickets recomputed via sla_work in "
            f"{a['recompute_all_open_s']} s ({a['recompute_per_s']}/s)",
        ]
    if "metrics" in r:
        b = r["metrics"]
        lines.append(
            f"B. metrics: {b['rows']['tickets']:,} tickets, {b['rows']['sla_clocks']:,} clocks; "
            f"ms over {b['requests_each']} sequential requests each"
        )
        for path, v in b["endpoints_ms"].items():
            ratio = b["p99_ratio_vs_bare"][path]
            lines.append(f"   {path[:60]:<60} p50 {v['p50']:>8} p99 {v['p99']:>8} ({ratio}x)")
        lines.append(
            f"   board refresh: all buckets {b['refresh_all_s']} s (hourly), last day "
            f"{b['refresh_recent_s']} s (every 15 s)"
        )
        bare = b["bare_ms"]
        lines.append(f"   {'bare aiohttp GET':<60} p50 {bare['p50']:>8} p99 {bare['p99']:>8}")
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    results = ingest.run_loop(run(args))
    path = report.write(results, ROOT / "bench" / "results", "sla")
    print(summary(results))
    print(f"\nresults: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
