"""Mixed-channel ingest: signed webhooks of eight platforms at once, against a bare handler.

Usage: .venv/bin/python bench/ingest_mixed.py [--quick] [--concurrency N]

A throwaway database with the demo data plus one account per channel: WhatsApp, Telegram,
Messenger, Instagram, Twilio SMS, LINE, Viber and the signed API channel. Requests rotate over
the channels, each signed the way its platform signs (HMAC-SHA256 hex or base64, Twilio's
HMAC-SHA1 over URL and fields, Telegram's secret token, our timestamped API signature), one
message each, from 5,000 senders per channel. The same Python generator (closed loop, N
connections) drives `contactcenter serve` and then the bare aiohttp handler of
bench/bare_server.py; ratio = contactcenter msg/s ÷ bare req/s. Afterwards every acknowledged
message is looked up in PostgreSQL, per channel.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import ingest
import procs
import report

from contactcenter.actions.catalog import do_create_account
from contactcenter.api.schemas import ChannelAccountIn
from contactcenter.channels.api import sign as api_sign
from contactcenter.channels.twilio_sms import signature as twilio_signature
from contactcenter.store import db

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
SECRET = "bench-secret"
SENDERS = 5000
CHANNELS = ("whatsapp", "telegram", "messenger", "instagram", "twilio-sms", "line", "viber", "api")
CREDENTIALS: dict[str, dict[str, str]] = {
    "messenger": {
        "app_secret": SECRET,
        "verify_token": "v",
        "page_id": "1070001",
        "page_access_token": "p",
    },
    "instagram": {
        "app_secret": SECRET,
        "verify_token": "v",
        "ig_id": "1784001",
        "access_token": "i",
    },
    "twilio-sms": {"account_sid": "AC1", "auth_token": SECRET, "from_number": "+14155550000"},
    "line": {"channel_secret": SECRET, "channel_access_token": "l"},
    "viber": {"auth_token": SECRET},
    "api": {"hmac_secret": SECRET, "callback_url": "http://127.0.0.1:9/none"},
}


def _hex(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _b64(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def request(
    channel: str, n: int, sender: int, accounts: dict[str, str], public: str
) -> tuple[str, dict[str, str], bytes, str]:
    """(path, headers, body, platform message id) of one signed single-message webhook."""
    path = f"/webhooks/{channel}/{accounts[channel]}"
    text, ms = f"Where is order {n}?", int(time.time() * 1000)
    if channel == "whatsapp":
        from contactcenter.simulate import whatsapp_payload

        pid = f"wamid.mixed.{n}"
        body = whatsapp_payload("106540352242922", [(pid, f"4915{sender:08d}", text, ms // 1000)])
        return (
            path,
            {
                "X-Hub-Signature-256": "sha256="
                + hmac.new(b"demo-app-secret", body, hashlib.sha256).hexdigest()
            },
            body,
            pid,
        )
    if channel == "telegram":
        from contactcenter.simulate import telegram_payload

        body = telegram_payload(n, 700_000 + sender, n, text, f"User {sender}")
        return (
            path,
            {"X-Telegram-Bot-Api-Secret-Token": "demo-secret-token"},
            body,
            f"{700_000 + sender}:{n}",
        )
    if channel in ("messenger", "instagram"):
        own = "1070001" if channel == "messenger" else "1784001"
        pid = f"m_mixed_{n}"
        body = json.dumps(
            {
                "object": "page" if channel == "messenger" else "instagram",
                "entry": [
                    {
                        "id": own,
                        "time": ms,
                        "messaging": [
                            {
                                "sender": {"id": f"66{sender:08d}"},
                                "recipient": {"id": own},
                                "timestamp": ms,
                                "message": {"mid": pid, "text": text},
                            }
                        ],
                    }
                ],
            }
        ).encode()
        return (
            path,
            {"X-Hub-Signature-256": "sha256=" + _hex(body), "Content-Type": "application/json"},
            body,
            pid,
        )
    if channel == "twilio-sms":
        pid = f"SMmixed{n:010d}"
        fields = {
            "MessageSid": pid,
            "From": f"+1415{sender:07d}",
            "To": "+14155550000",
            "Body": text,
            "NumMedia": "0",
            "SmsStatus": "received",
        }
        body = urlencode(fields).encode()
        sig = twilio_signature(SECRET, public + path, list(fields.items()))
        return (
            path,
            {"X-Twilio-Signature": sig, "Content-Type": "application/x-www-form-urlencoded"},
            body,
            pid,
        )
    if channel == "line":
        pid = f"4687{n:012d}"
        body = json.dumps(
            {
                "destination": "Ubench",
                "events": [
                    {
                        "type": "message",
                        "mode": "active",
                        "timestamp": ms,
                        "webhookEventId": f"E{n}",
                        "source": {"type": "user", "userId": f"U{sender:032d}"},
                        "message": {"type": "text", "id": pid, "text": text},
                    }
                ],
            }
        ).encode()
        return path, {"x-line-signature": _b64(body)}, body, pid
    if channel == "viber":
        pid = str(5_000_000_000 + n)
        body = json.dumps(
            {
                "event": "message",
                "timestamp": ms,
                "message_token": int(pid),
                "sender": {"id": f"V{sender:010d}=", "name": f"User {sender}"},
                "message": {"type": "text", "text": text},
            }
        ).encode()
        return path, {"X-Viber-Content-Signature": _hex(body)}, body, pid
    pid = f"api-{n}"
    body = json.dumps(
        {
            "messages": [
                {
                    "id": pid,
                    "conversation_id": f"c{sender}",
                    "sender": {"id": f"s{sender}"},
                    "text": text,
                }
            ]
        }
    ).encode()
    stamp = str(int(time.time()))
    return (
        path,
        {
            "X-CC-Timestamp": stamp,
            "X-CC-Signature": api_sign(SECRET, stamp, body),
            "Content-Type": "application/json",
        },
        body,
        pid,
    )


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
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"ingest-mixed-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
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
