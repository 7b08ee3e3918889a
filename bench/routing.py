"""Routing benchmark: decisions per second in one worker, and webhook -> offer latency.

Usage: .venv/bin/python bench/routing.py [--quick] [--duration S] [--only decisions|latency]
(see bench/README.md)

A. In a throwaway database with 1,000 agents, 20 queues and 5,000 waiting tickets, this
   process acts as the worker and runs route_queue over every queue until no offer is left to
   make; the pure planner over the same snapshot is the baseline.
B. In another throwaway database with the demo data and 200 agents, `contactcenter serve` and
   `contactcenter worker` take 200 signed WhatsApp webhooks/s, each from a new sender; the
   latency runs from each request's send time to its ticket's first offer.
Prints a summary and writes bench/results/routing-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import ingest
import procs
import report
import routing_decisions
import routing_latency
import routing_report

from contactcenter import logs

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("decisions", "latency")


def parse_args() -> argparse.Namespace:
    """Command line: --quick for a 3 s load, --duration to set it, --only to run one part."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s of load instead of 15 s")
    parser.add_argument("--duration", type=float, help="seconds of load in part B (overrides)")
    parser.add_argument("--only", choices=PARTS, help="run one part only")
    args = parser.parse_args()
    args.duration = args.duration or (3.0 if args.quick else 15.0)
    if args.duration <= 0:
        parser.error("--duration must be positive")
    args.reps = 1 if args.quick else 3  # pure-planner repetitions (the fastest counts)
    return args


async def decisions(admin_url: str, redis_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Part A in its own database, dropped afterwards."""
    async with (
        ingest.bench_database(admin_url) as dsn,
        ingest.redis_cleanup(redis_url),
    ):
        return await routing_decisions.run(dsn, redis_url, args.reps)


async def latency(
    admin_url: str, redis_url: str, args: argparse.Namespace, run_id: str
) -> dict[str, Any]:
    """Part B in its own database; serve and worker are stopped before it is dropped."""
    async with contextlib.AsyncExitStack() as stack:
        dsn = await stack.enter_async_context(ingest.bench_database(admin_url))
        await stack.enter_async_context(ingest.redis_cleanup(redis_url))
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cc-bench-")))
        env = ingest.server_env(dsn, redis_url)
        return await routing_latency.run(
            dsn, redis_url, env, args.duration, log_dir, run_id, pinned=args.pinned
        )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Both parts (or the one asked for); processes and databases are cleaned up on any exit."""
    ingest.stop_on_signals()
    logs.configure("warning")  # route_queue logs each pass at info
    admin_url = os.environ.get("CC_BENCH_DATABASE_URL", "postgresql://root@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("CC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    started, host = time.time(), report.machine()
    parts: dict[str, Any] = {}
    if args.only in (None, "decisions"):
        parts["decisions"] = await decisions(admin_url, redis_url, args)
    if args.only in (None, "latency"):
        parts["latency"] = await latency(admin_url, redis_url, args, secrets.token_hex(4))
    config = {
        "quick": args.quick,
        "duration_s": args.duration,
        "only": args.only,
        "pure_reps": args.reps,
        "log_level": ingest.LOG_LEVEL,
        "pinned": args.pinned,
        "bench_core": procs.GENERATOR_CORE if args.pinned else None,
        "database_server": ingest.redact(admin_url),
        "redis": ingest.redact(redis_url),
    }
    return routing_report.assemble(config, host, parts, started)


def main() -> None:
    """Pin this process to the generator core, run, print the summary, write the JSON file."""
    args = parse_args()
    args.pinned = procs.can_pin()  # before pinning this process, which narrows its affinity
    if args.pinned:
        procs.pin_self(procs.GENERATOR_CORE)
    try:
        results = ingest.run_loop(run(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise SystemExit("interrupted: servers stopped, benchmark databases dropped") from None
    path = routing_report.write(results, ROOT / "bench" / "results")
    print(routing_report.summary(results))
    print(f"\nresults: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
