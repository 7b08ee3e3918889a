"""Every view checked by axe-core (Deque's WCAG 2 A/AA rules) in Chromium: the sign-in page,
my work with an offer, a ticket with its reply box, the board with a waiting ticket and the
admin page with its forms open, in English and German. Any serious or critical violation (a
control without a name, text without enough contrast, a broken ARIA role) fails the test with
what axe found. Pages run with reduced motion (which the app honours): an offer fading in is
measured at its full contrast."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, async_playwright, expect

from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.outbound.test_webchat_browser import chromium
from tests.routing.staffing import route, staff
from tests.sla.conftest import make_policy
from tests.web.conftest import signed_in_page
from tests.world import World

Client = TestClient[Any, Any]
pytestmark = pytest.mark.usefixtures("passwords")
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
         "resultTypes": ["violations"]}  # fmt: skip


HELD = re.compile(r"/api/v1/(me/tickets|metrics/)")  # what my work and the board wait for


async def _problems(page: Page, where: str) -> list[str]:
    found = (await Axe().run(page, options=RULES)).response["violations"]
    return [f"{where}: {v['id']} ({v['impact']}): {v['help']} — "
            f"{[n['target'] for n in v['nodes']][:4]}"
            for v in found if v["impact"] in ("serious", "critical")]  # fmt: skip


async def _signed_in(browser: Any, base: str, email: str) -> Page:
    page: Page = await signed_in_page(browser, base, email, reduced_motion="reduce")  # no fades
    return page


async def _while_loading(page: Page, where: str) -> list[str]:
    """The view checked twice: with its data held back (panels drawn, content not yet: the
    state a slow network shows) and once everything has come."""
    released = asyncio.Event()

    async def hold(route: Any) -> None:
        await released.wait()
        await route.continue_()

    await page.route(HELD, hold)
    await page.reload()
    await page.locator("[aria-busy=true]").first.wait_for(state="attached")
    found = await _problems(page, f"{where}, loading")
    released.set()
    await expect(page.locator("[aria-busy=true]")).to_have_count(0, timeout=10_000)
    return found + await _problems(page, where)


async def test_every_view_passes_axe(client: Client, world: World, pool: asyncpg.Pool) -> None:
    base = str(client.make_url("")).rstrip("/")
    await make_policy(client, world)
    body = wa_hook(wa_text("wamid.A11Y", "4915100000123", "Hallo?", int(time.time()), name="Ines"))
    assert (await (await post_whatsapp(client, world, body)).json())["stored"] == 1
    ticket = await pool.fetchval("SELECT id FROM tickets")
    await pool.execute("UPDATE users SET language = 'de' WHERE email = 'agent_b@acme.test'")
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.goto(f"{base}/login")
            problems += await _problems(page, "sign-in")
            await page.evaluate("""() => {  // style through the CSSOM: the page's CSP
                document.body.append(document.createElement("button"));  // forbids style=""
                const faint = document.createElement("p");
                faint.textContent = "faint words";
                Object.assign(faint.style, {color: "#bbb", background: "#fff"});
                document.body.append(faint);
            }""")
            caught = await _problems(page, "planted")  # the checker sees what it should
            assert any("button-name" in p for p in caught), caught
            assert any("color-contrast" in p for p in caught), caught

            await staff(client, world, "agent")  # available, so the queue's ticket is offered
            await route(pool, world.queue.id)
            agent = await _signed_in(browser, base, "agent@acme.test")
            await agent.locator("[data-offer]").first.wait_for(timeout=10_000)
            await expect(agent.locator("[aria-busy=true]")).to_have_count(0)  # all drawn
            problems += await _problems(agent, "my work (with an offer)")
            await agent.goto(f"{base}/app#/ticket/{ticket}")
            for drawn in (".ticket-head h1", ".thread .msg", "aside.side h2", "#reply-text"):
                await agent.locator(drawn).first.wait_for()
            problems += await _problems(agent, "ticket")

            sup = await _signed_in(browser, base, "admin@acme.test")
            await sup.goto(f"{base}/app#/board")
            await sup.locator(f'tr[data-queue="{world.queue.id}"]').wait_for()
            await sup.locator("table.heatmap").wait_for()  # the last part the board draws
            await expect(sup.locator("[aria-busy=true]")).to_have_count(0)
            problems += await _problems(sup, "board")
            await sup.goto(f"{base}/app#/admin")
            for summary in ("Edit", "Opening hours"):  # both of the first queue's forms
                await sup.locator(
                    "section[aria-labelledby=qu-h] details summary", has_text=summary
                ).first.click()
            await sup.get_by_label("Always open").first.uncheck()  # the calendar shown
            await sup.locator("section[aria-labelledby=sp-h] details summary").first.click()
            await sup.get_by_label("Agents", exact=True).select_option(label="Agent")
            await sup.locator("form.shifts").wait_for()
            problems += await _problems(sup, "admin")

            german = await _signed_in(browser, base, "agent_b@acme.test")
            problems += await _while_loading(german, "my work (German)")
            await pool.execute("UPDATE users SET language = 'de' WHERE email = 'admin@acme.test'")
            german = await _signed_in(browser, base, "admin@acme.test")
            await german.goto(f"{base}/app#/board")
            problems += await _while_loading(german, "board (German)")
        finally:
            await browser.close()
    assert problems == []
