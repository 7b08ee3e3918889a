"""Mixed-channel ingest: signed webhooks of 13 platforms at once, against a bare handler.

Usage: .venv/bin/python bench/ingest_mixed.py [--quick] [--concurrency N]

A throwaway database with the demo data plus one account per channel: WhatsApp, Telegram,
Messenger, Instagram, Twilio SMS, LINE, Viber, the signed API channel, X, Facebook comments,
Slack, LinkedIn and e-mail (SendGrid raw MIME); payloads in bench/mixed_payloads.py. Requests
rotate over the channels, each signed the way its platform signs (HMAC-SHA256 hex or base64,
Twilio's HMAC-SHA1 over URL and fields, Telegram's secret token, timestamped signatures), one
message each, from 5,000 senders per channel. The same Python generator (closed loop, N
connections) drives `contactcenter serve` and then the bare aiohttp handler of
bench/bare_server.py; ratio = contactcenter msg/s ÷ bare req/s. Afterwards every acknowledged
message is looked up in PostgreSQL, per channel.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import ingest
import procs
import report
from mixed_payloads import CHANNELS, CREDENTIALS, SENDERS, request

from contactcenter.actions.catalog import do_create_account
from contactcenter.api.schemas import ChannelAccountIn
from contactcenter.store import db

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


async def drive(
    base: str,
    reqs: list[tuple[str, dict[str, str], bytes, str, str]],
    concurrency: int,
    duration: float,
) -> dict[str, Any]:
    """Closed loop: `concurrency` workers post the next request until `duration` is over."""
    next_i, ok, failed, latencies = 0, [], 0, []
    deadline = time.perf_counter() + duration
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal next_i, failed
            while time.perf_counter() < deadline and next_i < len(reqs):
                path, headers, body, pid, channel = reqs[next_i]
                next_i += 1
                t = time.perf_counter()
                try:
                    async with http.post(base + path, data=body, headers=headers) as resp:
                        await resp.read()
                        good = resp.status == 200
                except aiohttp.ClientError:
                    good = False
                latencies.append((time.perf_counter() - t) * 1000)
                if good:
                    ok.append((channel, pid))
                else:
                    failed += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    lat = sorted(latencies)
    return {
        "ok": len(ok),
        "failed": failed,
        "per_s": round(len(ok) / elapsed, 1),
        "p50_ms": round(statistics.median(lat), 1) if lat else None,
        "p99_ms": round(lat[int(0.99 * (len(lat) - 1))], 1) if lat else None,
        "acked": ok,
        "exhausted": next_i >= len(reqs),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    ingest.stop_on_signals()
    admin = "postgresql://root@127.0.0.1:5432/postgres"
    redis_url = "redis://127.0.0.1:6379/8"
    results: dict[str, Any] = {
        "machine": report.machine(),
        "git": report.git(),
        "started": datetime.now(UTC).isoformat(),
    }
    async with ingest.bench_database(admin) as dsn, ingest.redis_cleanup(redis_url):
        conn = await db.connect(dsn)
        try:
            brand = await conn.fetchval("SELECT id FROM brands LIMIT 1")
            queue = await conn.fetchval("SELECT queue_id FROM channel_accounts LIMIT 1")
            accounts = {
                r["channel"]: str(r["id"])
                for r in await conn.fetch("SELECT channel, id FROM channel_accounts")
            }
            for channel, creds in CREDENTIALS.items():
                account = await do_create_account(
                    conn,
                    ChannelAccountIn(
                        brand_id=brand,
                        channel=channel,
                        name=f"bench {channel}",
                        queue_id=queue,
                        credentials=creds,
                    ),
                )
                accounts[channel] = str(account.id)
        finally:
            await conn.close()
        port = procs.free_port()
        public = f"http://127.0.0.1:{port}"
        rng = random.Random(7)
        total = int(args.duration * 4000) + 1000
        reqs = []
        for n in range(total):
            channel = CHANNELS[n % len(CHANNELS)]
            path, headers, body, pid = request(channel, n, rng.randrange(SENDERS), accounts, public)
            reqs.append((path, headers, body, pid, channel))
        env = ingest.server_env(dsn, redis_url) | {"CC_PUBLIC_URL": public}
        argv = [
            str(VENV_BIN / "contactcenter"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        with tempfile.TemporaryDirectory() as tmp:
            with procs.server("contactcenter", argv, env, port, Path(tmp), pinned=False) as srv:
                await procs.wait_ready(srv)
                await drive(srv.url, reqs[:200], 16, 2.0)  # warm-up
                cc = await drive(srv.url, reqs[200:], args.concurrency, args.duration)
            bare_port = procs.free_port()
            bare_argv = [
                str(VENV_BIN / "python"),
                str(ROOT / "bench" / "bare_server.py"),
                "--port",
                str(bare_port),
            ]
            with procs.server("bare", bare_argv, env, bare_port, Path(tmp), pinned=False) as srv:
                await procs.wait_ready(srv)
                await drive(srv.url, reqs[:200], 16, 2.0)
                bare = await drive(srv.url, reqs[200:], args.concurrency, args.duration)
        conn = await db.connect(dsn)
        try:
            stored = {
                r["channel"]: r["n"]
                for r in await conn.fetch(
                    "SELECT a.channel, count(*) AS n FROM messages m "
                    "JOIN channel_accounts a ON a.id = m.channel_account_id GROUP BY 1"
                )
            }
            missing = 0
            for channel, pid in cc.pop("acked"):
                found = await conn.fetchval(
                    "SELECT 1 FROM messages m JOIN channel_accounts a "
                    "ON a.id = m.channel_account_id "
                    "WHERE a.channel = $1 AND m.platform_message_id = $2",
                    channel,
                    pid,
                )
                missing += found is None
        finally:
            await conn.close()
    bare.pop("acked")
    results |= {
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "contactcenter": cc,
        "bare": bare,
        "ratio": round(cc["per_s"] / bare["per_s"], 3) if bare["per_s"] else None,
        "stored_per_channel": stored,
        "acknowledged_but_missing": missing,
    }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s instead of 15 s")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    args.duration = 3.0 if args.quick else 15.0
    results = ingest.run_loop(run(args))
    path = report.write(results, ROOT / "bench" / "results", "ingest-mixed")
    cc, bare = results["contactcenter"], results["bare"]
    print(
        f"mixed ingest, {len(CHANNELS)} channels, {results['concurrency']} connections, "
        f"{results['duration_s']:.0f} s, one Python generator for both"
    )
    print(
        f"  contactcenter {cc['per_s']:>8} msg/s  p50 {cc['p50_ms']} ms  p99 {cc['p99_ms']} ms  "
        f"failed {cc['failed']}"
    )
    print(
        f"  bare aiohttp  {bare['per_s']:>8} req/s  p50 {bare['p50_ms']} ms  "
        f"p99 {bare['p99_ms']} ms"
    )
    print(
        f"  ratio {results['ratio']}; stored per channel {results['stored_per_channel']}; "
        f"acknowledged but missing {results['acknowledged_but_missing']}"
    )
    print(f"\nresults: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
