"""The dashboards end to end in a real headless Chromium, with a real worker routing and
delivering: a supervisor watches the board while an agent signs in, a signed WhatsApp message
arrives (waiting count and SLA clock appear live), the agent goes available (the board shows it
live), the offer pops up, one key accepts, the reply (and then a photo) reaches the fake
WhatsApp API, and another team's agent cannot open the ticket."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, async_playwright, expect

from contactcenter.settings import Settings
from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.outbound.test_webchat_browser import chromium
from tests.routing.staffing import staff
from tests.sla.conftest import make_policy
from tests.web.conftest import PASSWORD, Fake
from tests.world import World
from workers.settings import create_worker, stop_worker

Client = TestClient[Any, Any]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
SCREENSHOT_DIR = os.environ.get("CC_SCREENSHOT_DIR")  # docs/screenshots refreshes the README's
LIVE_MS = 10_000  # the longest any live update may take here (routing, delivery, SSE)
pytestmark = pytest.mark.usefixtures("passwords")


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"media_dir": tmp_path})


async def _sign_in(browser: Browser, base: str, email: str, hash_: str = "") -> Page:
    page = await browser.new_page(viewport={"width": 1360, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{base}/app")  # not signed in: the sign-in page
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/app")
    if hash_:
        await page.goto(f"{base}/app{hash_}")
    page.errors = errors  # type: ignore[attr-defined]
    return page


async def test_agent_and_supervisor_work_live(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, settings: Settings
) -> None:
    base = str(client.make_url("")).rstrip("/")
    resp = await client.patch(f"/api/v1/queues/{world.queue.id}", headers=world.auth("admin"),
                              json={"team_id": str(world.team_a.id)})  # fmt: skip
    assert resp.status == 200, await resp.text()
    await staff(client, world, "agent", presence=None)  # on shift, in the queue, not available
    await make_policy(client, world)  # first response in 10 minutes
    worker = create_worker(settings.model_copy(update={"graph_api_url": f"{fake.url}/v21.0"}))
    running = asyncio.create_task(worker.async_run())
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
            try:
                await _flow(browser, base, client, world, pool, fake)
            finally:
                await browser.close()
    finally:
        await stop_worker(worker, running)


async def _flow(browser: Browser, base: str, client: Client, world: World,
                pool: asyncpg.Pool, fake: Fake) -> None:  # fmt: skip
    board = await _sign_in(browser, base, "supervisor@acme.test", "#/board")
    waiting = board.locator(f'tr[data-queue="{world.queue.id}"] td[data-cell="waiting"]')
    await expect(waiting).to_have_text("0")
    agent_state = board.locator(f'tr[data-agent="{world.agent.id}"] td[data-cell="state"]')
    await expect(agent_state).to_contain_text("Offline")
    agent = await _sign_in(browser, base, "agent@acme.test")
    await expect(agent.get_by_role("heading", name="Offers")).to_be_visible()

    body = wa_hook(wa_text("wamid.E2E1", "4915112345678", "Mein Paket ist nicht da", int(time.time()),
                           name="Ines Berger"))  # fmt: skip
    assert (await (await post_whatsapp(client, world, body)).json())["stored"] == 1
    ticket_id = await pool.fetchval("SELECT id FROM tickets")
    await expect(waiting).to_have_text("1", timeout=LIVE_MS)  # live, no reload
    row = board.locator(f'tr[data-ticket="{ticket_id}"]')
    await expect(row.locator(".clock").first).to_contain_text("First response: due in",
                                                              timeout=LIVE_MS)  # fmt: skip

    if SCREENSHOT_DIR:  # the board with a customer waiting
        await board.screenshot(
            path=str(Path(SCREENSHOT_DIR) / "supervisor-board.png"), full_page=True
        )
    await agent.get_by_label("Presence").select_option("available")
    await expect(agent_state).to_contain_text("Available", timeout=LIVE_MS)
    offer = agent.locator("[data-offer]")
    await expect(offer).to_contain_text("Ines Berger", timeout=LIVE_MS)
    await expect(offer.locator(".countdown")).to_contain_text("expires in")
    await agent.keyboard.press("a")  # accept
    await agent.wait_for_url(f"{base}/app#/ticket/{ticket_id}", timeout=LIVE_MS)
    await expect(agent.locator(".msg--inbound")).to_contain_text("Mein Paket ist nicht da")
    await expect(agent.locator(".clocks .clock").first).to_contain_text("due in")
    await expect(agent.get_by_placeholder("Template name")).to_be_hidden()  # within 24 hours
    await agent.keyboard.press("r")
    await agent.keyboard.type("Wir kümmern uns sofort darum.")
    await agent.get_by_role("button", name="Send").click()
    async with asyncio.timeout(LIVE_MS / 1000):
        while not fake.requests:
            await asyncio.sleep(0.05)
    [sent] = fake.requests
    assert sent["body"]["to"] == "4915112345678"
    assert sent["body"]["text"] == {"preview_url": False, "body": "Wir kümmern uns sofort darum."}
    await expect(agent.locator(".msg--outbound .status")).to_contain_text("sent", timeout=LIVE_MS)

    # a photo with a caption: WhatsApp gets an image message with a link it can fetch
    await agent.locator("#reply-text").fill("Das Etikett")
    await agent.get_by_label("Attach files").first.set_input_files(
        files=[{"name": "label.png", "mimeType": "image/png", "buffer": PNG}]
    )
    await agent.get_by_role("button", name="Send").click()
    async with asyncio.timeout(LIVE_MS / 1000):
        while len(fake.requests) < 2:
            await asyncio.sleep(0.05)
    photo = fake.requests[1]["body"]
    assert (photo["type"], photo["image"]["caption"]) == ("image", "Das Etikett")
    link = photo["image"]["link"].removeprefix("http://testserver")  # the app's public_url
    fetched = await client.get(link)
    assert fetched.status == 200 and await fetched.read() == PNG
    await expect(agent.locator(".msg--outbound .files a")).to_have_text(
        "label.png", timeout=LIVE_MS
    )
    await expect(waiting).to_have_text("0", timeout=LIVE_MS)  # assigned: nobody waits
    await expect(agent_state).to_contain_text("Available")

    other = await _sign_in(browser, base, "agent_b@acme.test", f"#/ticket/{ticket_id}")
    await expect(other.get_by_role("alert")).to_contain_text("You may not open this ticket")
    if SCREENSHOT_DIR:
        await agent.screenshot(path=str(Path(SCREENSHOT_DIR) / "agent-ticket.png"))
    for page in (board, agent, other):
        assert page.errors == []  # type: ignore[attr-defined]
