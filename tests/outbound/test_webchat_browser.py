"""The web chat widget in a real headless Chromium, embedded on another origin (the shop's):
the visitor writes, a ticket opens, the agent's reply appears live in the widget; then files go
both ways."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import async_playwright

from contactcenter.settings import Settings
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]
# CC_SCREENSHOT_DIR=docs/screenshots refreshes the README's picture.
SCREENSHOT_DIR = os.environ.get("CC_SCREENSHOT_DIR")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"media_dir": tmp_path})


def chromium() -> str | None:
    """Debian's chromium (.ci/run installs it), else Playwright's own (`./cc test` fetches it
    when there is no chromium on PATH)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
async def shop(client: Client, world: World) -> Any:
    """The shop's own site on another origin, with the widget's script tag on its page."""
    cc = str(client.make_url("")).rstrip("/")
    page_html: dict[str, str] = {}

    async def shop_page(request: web.Request) -> web.Response:
        return web.Response(text=page_html["html"], content_type="text/html")

    app = web.Application()
    app.router.add_get("/", shop_page)
    async with TestServer(app) as server:
        origin = str(server.make_url("")).rstrip("/")
        resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
            "brand_id": str(world.brand.id), "channel": "webchat", "name": "Shop chat",
            "queue_id": str(world.queue.id), "credentials": {"allowed_origins": origin},
        })  # fmt: skip
        account = (await resp.json())["id"]
        page_html["html"] = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme shop</title>'
            "</head><body><h1>Acme Coffee</h1><p>Fresh beans, shipped daily.</p>"
            f'<script src="{cc}/chat/widget.js" data-account="{account}" '
            'data-title="Chat with us" data-name="Ines"></script></body></html>'
        )
        yield origin


async def test_widget_on_the_shop_page_talks_to_an_agent(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], shop: str
) -> None:
    cc = str(client.make_url("")).rstrip("/")
    origin = shop
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 900, "height": 640})
            # the visitor's clock is 5 minutes slow: the widget orders by the server's times
            await page.add_init_script("(() => { const real = Date.now; "
                                       "Date.now = () => real() - 300000; })()")  # fmt: skip
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(origin + "/")
            await page.get_by_role("button", name="Chat with us").click()
            box = page.get_by_placeholder("Type a message…")
            await box.fill("Is my parcel on its way?")
            await page.get_by_role("button", name="Send").click()
            async with asyncio.timeout(10):
                while not await pool.fetchval("SELECT count(*) FROM messages"):
                    await asyncio.sleep(0.05)
            ticket = await pool.fetchrow(
                "SELECT t.id, t.channel, c.name FROM tickets t JOIN contacts c ON c.id = t.contact_id"
            )
            assert (ticket["channel"], ticket["name"]) == ("webchat", "Ines")
            reply = await (await client.post(
                f"/api/v1/tickets/{ticket['id']}/messages", json={"text": "Yes, it arrives tomorrow."},
                headers=world.auth("agent"))).json()  # fmt: skip
            assert await deliver(ctx, reply["id"]) == "sent"
            await page.get_by_text("Yes, it arrives tomorrow.").wait_for(timeout=5000)
            bubbles = await page.locator(".cc-chat__msg").all_inner_texts()
            assert bubbles == ["Is my parcel on its way?", "Yes, it arrives tomorrow."]
            if SCREENSHOT_DIR:
                await page.screenshot(path=str(Path(SCREENSHOT_DIR) / "webchat.png"))
            # the conversation survives a page load; a reply sent before the new stream
            # is subscribed (held back here, as on a slow network) shows once it opens
            released = asyncio.Event()

            async def hold(request: Any) -> None:
                await released.wait()
                await request.continue_()

            await page.route(re.compile(r"/events\?token="), hold)
            await page.reload()
            await page.get_by_role("button", name="Chat with us").click()
            await page.get_by_text("Yes, it arrives tomorrow.").wait_for(timeout=5000)
            late = await (await client.post(
                f"/api/v1/tickets/{ticket['id']}/messages", json={"text": "Any time after 9."},
                headers=world.auth("agent"))).json()  # fmt: skip
            assert await deliver(ctx, late["id"]) == "sent"  # nobody listens yet
            released.set()
            await page.get_by_text("Any time after 9.").wait_for(timeout=5000)

            # files both ways: the visitor's photo reaches the ticket, the agent's PDF
            # arrives as a link the visitor can open
            await page.locator("#cc-chat-files").set_input_files(
                files=[{"name": "label.png", "mimeType": "image/png", "buffer": PNG}]
            )
            await box.fill("The label is torn")
            await page.get_by_role("button", name="Send").click()
            async with asyncio.timeout(10):
                while not await pool.fetchval(
                    "SELECT count(*) FROM messages WHERE attachments <> '[]'"
                ):
                    await asyncio.sleep(0.05)
            sent = await pool.fetchrow("SELECT text, attachments FROM messages "
                                       "WHERE attachments <> '[]'")  # fmt: skip
            assert sent["text"] == "The label is torn"
            assert sent["attachments"][0]["name"] == "label.png"
            await page.get_by_text("📎 label.png").wait_for(timeout=5000)
            bubbles = await page.locator(".cc-chat__msg").all_inner_texts()
            assert bubbles[-2:] == ["Any time after 9.", "The label is torn\n📎 label.png"]
            form = aiohttp.FormData(default_to_multipart=True)
            form.add_field("file", b"%PDF-1.4 invoice", filename="invoice.pdf",
                           content_type="application/pdf")  # fmt: skip
            reply = await (await client.post(f"/api/v1/tickets/{ticket['id']}/messages",
                                             data=form, headers=world.auth("agent"))).json()  # fmt: skip
            ctx["settings"] = ctx["settings"].model_copy(update={"public_url": cc})
            assert await deliver(ctx, reply["id"]) == "sent"
            link = page.get_by_role("link", name="📎 invoice.pdf")
            await link.wait_for(timeout=5000)
            href = await link.get_attribute("href")
            assert href is not None and href.startswith(f"{cc}/files/")
            async with aiohttp.ClientSession() as visitor, visitor.get(href) as got:
                assert await got.read() == b"%PDF-1.4 invoice"
            assert errors == []
        finally:
            await browser.close()


async def test_after_a_dropped_stream_the_widget_catches_up_once_and_in_order(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], shop: str
) -> None:
    """The stream drops at once and its reconnect is held back; meanwhile the visitor writes
    and the agent's reply goes out to nobody. When the stream is back, the reply shows after
    the visitor's message, and the visitor's own message (re-read with the rest) is not shown
    twice."""
    streams = 0
    back = asyncio.Event()

    async def events(request: Any) -> None:
        nonlocal streams
        streams += 1
        if streams == 1:  # opens, then ends at once: EventSource reconnects in 0.2 s
            await request.fulfill(status=200, body="retry: 200\n\n",
                                  headers={"Content-Type": "text/event-stream",
                                           "Access-Control-Allow-Origin": shop})  # fmt: skip
            return
        await back.wait()
        await request.continue_()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.route(re.compile(r"/events\?token="), events)
            await page.goto(shop + "/")
            await page.get_by_role("button", name="Chat with us").click()
            await page.get_by_placeholder("Type a message…").fill("Hello, anyone there?")
            await page.get_by_role("button", name="Send").click()
            async with asyncio.timeout(10):
                while not await pool.fetchval("SELECT count(*) FROM messages"):
                    await asyncio.sleep(0.05)
                while streams < 2:  # the reconnect is waiting
                    await asyncio.sleep(0.05)
            ticket = await pool.fetchval("SELECT id FROM tickets")
            reply = await (await client.post(f"/api/v1/tickets/{ticket}/messages",
                                             json={"text": "Yes, Kim here."},
                                             headers=world.auth("agent"))).json()  # fmt: skip
            assert await deliver(ctx, reply["id"]) == "sent"  # nobody listens
            back.set()
            await page.get_by_text("Yes, Kim here.").wait_for(timeout=5000)
            bubbles = await page.locator(".cc-chat__msg").all_inner_texts()
            assert bubbles == ["Hello, anyone there?", "Yes, Kim here."]
        finally:
            await browser.close()
