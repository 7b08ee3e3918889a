"""Offers and reassigning in Chromium: the offer tray shows on every view, `d` declines and
the offer leaves the screen, keys typed into a text box are text (not shortcuts), and a
supervisor reassigns a waiting ticket in two clicks."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Page, async_playwright, expect

from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.outbound.test_webchat_browser import chromium
from tests.routing.staffing import route, staff
from tests.web.conftest import PASSWORD
from tests.world import World

Client = TestClient[Any, Any]
pytestmark = pytest.mark.usefixtures("passwords")


async def _page(browser: Any, base: str, email: str, where: str = "") -> Page:
    page: Page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{base}/login")
    await page.locator("#email").fill(email)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("button[type=submit]").click()
    await page.wait_for_url(f"{base}/app")
    if where:
        await page.goto(f"{base}/app{where}")
    page.errors = errors  # type: ignore[attr-defined]
    return page


async def _customer(client: Client, world: World, n: int) -> None:
    body = wa_hook(wa_text(f"wamid.OF{n}", f"49151000009{n:02d}", f"Frage {n}", int(time.time())))
    assert (await (await post_whatsapp(client, world, body)).json())["stored"] == 1


async def test_decline_typing_and_two_click_reassign(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    base = str(client.make_url("")).rstrip("/")
    await staff(client, world, "agent", capacity={"chat": 1})
    await _customer(client, world, 1)
    await _customer(client, world, 2)
    first, second = [r["id"] for r in await pool.fetch("SELECT id FROM tickets ORDER BY id")]
    await route(pool, world.queue.id)  # one offer (capacity 1), as the worker would make it
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            agent = await _page(browser, base, "agent@acme.test")
            answered: list[str] = []  # accept or decline requests the page made
            agent.on("request", lambda r: answered.extend(
                [r.url] if r.method == "POST" and "/offers/" in r.url else []))  # fmt: skip
            # The ticket view with its contact held back: the agent clicks into the reply box
            # while the view still loads, and its end must not take the focus away.
            released = asyncio.Event()

            async def hold(request: Any) -> None:
                await released.wait()
                await request.continue_()

            await agent.route(re.compile(r"/api/v1/contacts/"), hold)
            await agent.goto(f"{base}/app#/ticket/{second}")
            offer = agent.locator("[data-offer]")
            await expect(offer).to_have_count(1)  # the tray is there on the ticket view too
            reply = agent.locator("#reply-text")
            await reply.click()
            await agent.keyboard.type("a")  # text, not accept
            released.set()
            await agent.locator("aside.side h2").first.wait_for()  # the view has finished
            await agent.keyboard.type("d")  # text, not decline
            await expect(reply).to_have_value("ad")
            await expect(offer).to_have_count(1)
            assert answered == []  # the keys went into the text, not to the offer
            await agent.locator("h1").click()  # out of the text box
            await agent.keyboard.press("d")
            await expect(offer).to_have_count(0)
            await expect(agent.locator("#offers")).to_contain_text("No offers right now.")
            declined = await pool.fetchval("SELECT status FROM offers ORDER BY id LIMIT 1")
            assert declined == "declined"

            board = await _page(browser, base, "supervisor@acme.test", "#/board")
            pick = board.get_by_label(f"Reassign #{first}")
            await pick.select_option(label="Agent (Available)")  # click one: the menu, two: her
            await expect(board.locator("#toast")).to_contain_text(f"#{first} → Agent")
            assignee = await pool.fetchval("SELECT assignee_id FROM tickets WHERE id = $1", first)
            assert assignee == world.agent.id
            for page in (agent, board):
                assert page.errors == []  # type: ignore[attr-defined]
        finally:
            await browser.close()
