"""`contactcenter dev`: migrate, load demo data, run web and worker in one process."""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web

from contactcenter import demo
from contactcenter.app import create_app
from contactcenter.settings import Settings, require
from contactcenter.store import db
from contactcenter.store.migrations import migrate
from workers.settings import create_worker, stop_worker


async def run_dev(settings: Settings) -> None:
    database_url = require(settings.database_url, "CC_DATABASE_URL")
    applied = await migrate(database_url)
    conn = await db.connect(database_url)
    try:
        loaded = await demo.load(conn)
    finally:
        await conn.close()

    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    worker = create_worker(settings)
    worker_task = asyncio.create_task(worker.async_run())

    _banner(settings, loaded, applied)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await asyncio.wait(
        [asyncio.create_task(stop.wait()), worker_task], return_when=asyncio.FIRST_COMPLETED
    )
    print("\nstopping …", flush=True)
    await stop_worker(worker, worker_task)
    await runner.cleanup()
    print("stopped.", flush=True)


def _banner(settings: Settings, loaded: demo.Demo, applied: list[str]) -> None:
    base = settings.public_url.rstrip("/")
    lines = [
        "",
        f"contactcenter is running at {base}   (Ctrl-C stops everything)",
        f"  migrations applied now: {len(applied)}",
        f"  dashboards: {base}/app   (sign in below: password 'demo' for every demo user)",
        f"  API:      {base}/api/v1   OpenAPI: {base}/api/openapi.json",
        f"  health:   {base}/healthz  {base}/readyz",
        "  webhooks (demo secrets are in config/demo.toml):",
    ]
    lines += [
        f"    {a['channel']:<9} {base}/webhooks/{a['channel']}/{a['id']}" for a in loaded.accounts
    ]
    lines.append("  API tokens of the demo users:")
    lines += [f"    {u.role:<10} {u.email:<22} {u.token}" for u in loaded.users]
    lines += [
        "  try:",
        f"    contactcenter simulate --url {base} --count 10",
        f"    curl -H 'Authorization: Bearer {loaded.users[0].token}' {base}/api/v1/tickets",
        "",
    ]
    print("\n".join(lines), flush=True)
