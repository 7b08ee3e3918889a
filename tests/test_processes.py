"""Several real web processes at once: duplicates and first contact stay single (invariant 1)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess

import aiohttp
import asyncpg
import redis.asyncio as aioredis
from arq import create_pool

from contactcenter import constants
from contactcenter.app import redis_settings
from contactcenter.live import request_routing
from contactcenter.models import QueueId
from tests.helpers import counts, fixture, wa_headers, wa_hook, wa_text
from tests.procs import CLI, cli_env, serve
from tests.world import World


async def _post_everywhere(bases: list[str], path: str, bodies: list[bytes]) -> list[int]:
    async with aiohttp.ClientSession() as session:

        async def post(i: int, body: bytes) -> int:
            async with session.post(
                f"{bases[i % len(bases)]}{path}", data=body, headers=wa_headers(body)
            ) as r:
                return r.status

        return list(await asyncio.gather(*(post(i, b) for i, b in enumerate(bodies))))


async def test_copies_on_two_processes_store_one_message(
    world: World, database_url: str, redis_url: str, pool: asyncpg.Pool
) -> None:
    """Ten copies split over two server processes: ten 200s, one message, one ticket, one contact."""
    async with contextlib.AsyncExitStack() as stack:
        bases = [
            (await stack.enter_async_context(serve(database_url, redis_url)))[0] for _ in range(2)
        ]
        path = f"/webhooks/whatsapp/{world.whatsapp.id}"
        statuses = await _post_everywhere(bases, path, [fixture("whatsapp/text.json")] * 10)
        assert statuses == [200] * 10
        got = await counts(pool)
        assert (got["messages"], got["tickets"], got["contacts"]) == (1, 1, 1)
        # A new customer's first three messages, each to a different process at once: one ticket.
        first = [
            wa_hook(wa_text(f"wamid.first{i}", "4915199999999", f"#{i}", 1700000000 + i))
            for i in range(6)
        ]
        assert await _post_everywhere(bases, path, first) == [200] * 6
        got = await counts(pool)
        assert (got["messages"], got["tickets"], got["contacts"]) == (7, 2, 2)


async def test_users_add_prints_the_token_last(
    world: World, database_url: str, redis_url: str
) -> None:
    """`contactcenter users add` prints a token as its last line, and that token authenticates."""
    out = subprocess.run(  # noqa: S603 - our own CLI
        [*CLI, "users", "add", "cli@acme.test", "--role", "supervisor", "--name", "Cli User"],
        env=cli_env(CC_DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("cc_") and len(token) > 40
    again = subprocess.run(  # noqa: S603
        [*CLI, "users", "add", "cli@acme.test", "--role", "agent"],
        env=cli_env(CC_DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode != 0 and "exists already" in again.stderr
    auth = {"Authorization": f"Bearer {token}"}
    async with (
        serve(database_url, redis_url) as (base, _),
        aiohttp.ClientSession() as session,
        session.get(f"{base}/api/v1/me", headers=auth) as resp,
    ):
        me = await resp.json()
    assert (me["email"], me["role"], me["name"]) == ("cli@acme.test", "supervisor", "Cli User")


async def test_info_logs_carry_ids_but_no_bodies_phones_or_secrets(
    world: World, database_url: str, redis_url: str
) -> None:
    """At INFO, a webhook's log lines name the request and account, never text, numbers or secrets."""
    secret_text = "Meine IBAN ist DE89370400440532013000"
    phone = "4915123456789"
    body = wa_hook(
        wa_text("wamid.logcheck", phone, secret_text, 1700000000, name="Erika Mustermann")
    )
    async with serve(database_url, redis_url, CC_LOG_LEVEL="info") as (base, log):
        assert await _post_everywhere(
            [base], f"/webhooks/whatsapp/{world.whatsapp.id}", [body]
        ) == [200]
        async with aiohttp.ClientSession() as session:
            await session.get(
                f"{base}/webhooks/whatsapp/{world.whatsapp.id}",
                params={"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            )
        await asyncio.sleep(0.2)
        text = log.read_text()
    lines = [line for line in text.splitlines() if line.startswith("{")]
    assert any(
        '"route":"/webhooks/{channel}/{account_id}"' in line and '"request_id"' in line
        for line in lines
    )
    assert any(str(world.whatsapp.id) in line for line in lines)
    for forbidden in (
        secret_text,
        "IBAN",
        phone,
        "Erika",
        "wrong",
        world.tokens["admin"],
        "test-app-secret",
    ):
        assert forbidden not in text


async def test_worker_process_runs_routing_jobs_and_stops_on_sigterm(
    world: World, database_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    """`contactcenter worker` picks up a queued route job, and SIGTERM stops it cleanly."""
    queue_id = QueueId(world.queue.id)
    arq = await create_pool(redis_settings(redis_url), default_queue_name=constants.ARQ_QUEUE)
    try:
        assert await request_routing(arq, queue_id)
        assert not await request_routing(arq, queue_id)  # already waiting: deduplicated
    finally:
        await arq.aclose()
    job_id = (await redis.get(constants.ROUTE_PENDING_KEY.format(queue_id=queue_id))).decode()
    job_key = f"arq:job:{job_id}"
    assert await redis.exists(job_key)
    worker = subprocess.Popen(  # noqa: S603 - our own CLI
        [*CLI, "worker"],
        env=cli_env(CC_DATABASE_URL=database_url, CC_REDIS_URL=redis_url, CC_LOG_LEVEL="info"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        async with asyncio.timeout(30):
            while await redis.exists(job_key):
                await asyncio.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, out
    assert '"event":"route.pass"' in out and str(queue_id) in out
