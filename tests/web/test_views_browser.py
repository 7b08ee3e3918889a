"""The dashboards' rules in Chromium: the reply box knows WhatsApp's 24-hour window and the
channel's length; the UI speaks German to a German user; a supervisor moves a ticket to
another queue from the board; an admin changes a queue's settings, its opening hours and an SLA
policy's targets and plans shifts in forms, and sees the API's own error."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import async_playwright, expect

from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.outbound.test_webchat_browser import chromium
from tests.sla.conftest import make_policy
from tests.web.conftest import signed_in_page
from tests.world import World

Client = TestClient[Any, Any]
pytestmark = pytest.mark.usefixtures("passwords")


async def test_reply_rules_language_transfer_and_admin(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    base = str(client.make_url("")).rstrip("/")
    two_days_ago = int(time.time()) - 2 * 86400
    body = wa_hook(wa_text("wamid.OLD1", "4915100000099", "Hallo?", two_days_ago, name="Old"))
    assert (await (await post_whatsapp(client, world, body)).json())["stored"] == 1
    ticket = await pool.fetchval("SELECT id FROM tickets")
    await pool.execute("UPDATE users SET language = 'de' WHERE email = 'supervisor@acme.test'")
    low_off = {"first_response_s": None, "next_response_s": None, "resolution_s": None}
    policy = await make_policy(client, world, targets={  # "low": listed, no clocks
        "normal": {"first_response_s": 600, "next_response_s": 1200, "resolution_s": 86400},
        "low": low_off}, warn_at=[0.875])  # fmt: skip
    resp = await client.patch(f"/api/v1/queues/{world.queue.id}", headers=world.auth("admin"),
                              json={"escalate_after_s": 45})  # 0.75 min in the form  # fmt: skip
    assert resp.status == 200
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            sup = await signed_in_page(browser, base, "supervisor@acme.test")
            await expect(sup.get_by_role("link", name="Meine Arbeit")).to_be_visible()
            await expect(sup.get_by_role("link", name="Übersicht")).to_be_visible()

            await sup.goto(f"{base}/app#/ticket/{ticket}")  # outside WhatsApp's 24 hours
            await expect(sup.get_by_role("note")).to_contain_text("24-Stunden-Fenster")
            await expect(sup.get_by_placeholder("Vorlagenname")).to_be_visible()
            await expect(sup.locator("#reply-hint")).to_have_text("4096 Zeichen übrig")
            await sup.locator("#reply-text").fill("abc")
            await expect(sup.locator("#reply-hint")).to_have_text("4093 Zeichen übrig")
            assert await sup.locator("#reply-text").get_attribute("maxlength") == "4096"
            await sup.get_by_role("button", name="Senden").click()  # no template: the API says no
            await expect(sup.locator("#toast")).to_contain_text("template")
            await sup.get_by_role("button", name="Alle Kanäle").click()  # the person everywhere
            await expect(sup.locator(".thread .msg .chip")).to_have_text(["whatsapp"])
            await expect(sup.get_by_role("button", name="Alle Kanäle")).to_have_attribute(
                "aria-pressed", "true"
            )
            # a slow draw of this ticket's thread, overtaken by "all channels": dropped
            released = asyncio.Event()

            async def hold(request: Any) -> None:
                await released.wait()
                await request.continue_()

            thread_page = re.compile(rf"/tickets/{ticket}/messages\?limit=200")
            await sup.route(thread_page, hold)
            await sup.get_by_role("button", name="Dieses Ticket").click()  # held
            async with sup.expect_response(re.compile(r"/contacts/.+/messages")):
                await sup.get_by_role("button", name="Alle Kanäle").click()
            async with sup.expect_response(thread_page):
                released.set()
            await sup.evaluate("() => new Promise((done) => setTimeout(done, 100))")
            await expect(sup.locator(".thread .msg .chip")).to_have_text(["whatsapp"])

            await sup.goto(f"{base}/app#/board")
            move = sup.get_by_label(f"Verschieben #{ticket}")
            await move.select_option(label="VIP")
            await expect(sup.locator("#toast")).to_contain_text(f"#{ticket} → VIP")
            queue = await pool.fetchval("SELECT queue_id FROM tickets WHERE id = $1", ticket)
            assert queue == world.queue_b.id

            admin = await signed_in_page(browser, base, "admin@acme.test")
            await admin.goto(f"{base}/app#/admin")
            await expect(
                admin.get_by_text(f"/webhooks/whatsapp/{world.whatsapp.id}")
            ).to_be_visible()
            # a queue's settings and an SLA policy's targets, in forms
            policy_form = admin.locator(f'li[data-policy="{policy["id"]}"]')
            await policy_form.locator("summary").click()
            await policy_form.get_by_label("Name").fill("Standard (chat)")  # not saved yet
            queue_form = admin.locator(f'li[data-queue="{world.queue.id}"]')
            await queue_form.locator("summary", has_text="Edit").click()
            await queue_form.get_by_label("Service level target (%)").fill("90")
            await queue_form.get_by_label("… answered within (s)").fill("30")
            await queue_form.get_by_label("Required skills").fill("billing:3, german")
            await queue_form.get_by_label("SLA policy").select_option(label=policy["name"])
            await queue_form.get_by_role("button", name="Save").click()
            await expect(admin.locator(f'li[data-queue="{world.queue.id}"]')).to_contain_text(
                "SL 90% / 30s"
            )  # the page drew itself again with the saved settings
            saved = await (await client.get(f"/api/v1/queues/{world.queue.id}",
                                            headers=world.auth("admin"))).json()  # fmt: skip
            assert (saved["sl_target"], saved["sl_threshold_s"], saved["required_skills"],
                    saved["sla_policy_id"]) == (0.9, 30, {"billing": 3, "german": 1},
                                                policy["id"])  # fmt: skip
            assert saved["escalate_after_s"] == 45  # untouched: not sent, not rounded
            # saving the queue drew only the queue again: the policy form kept what was typed
            await expect(policy_form.get_by_label("Name")).to_have_value("Standard (chat)")
            await policy_form.get_by_label("high · first response (min)").fill("5")
            await policy_form.get_by_label("Clocks pause while: open").check()
            await policy_form.get_by_role("button", name="Save").click()
            await expect(admin.locator(f'li[data-policy="{policy["id"]}"]')).to_contain_text(
                "high: 5 min"
            )
            saved = await (await client.get(f"/api/v1/sla-policies/{policy['id']}",
                                            headers=world.auth("admin"))).json()  # fmt: skip
            assert saved["targets"]["high"] == {"first_response_s": 300, "next_response_s": None,
                                                "resolution_s": None}  # fmt: skip
            assert saved["targets"]["normal"] == policy["targets"]["normal"]  # untouched
            assert saved["pause_on"] == ["open", "pending"]
            assert saved["targets"]["low"] == low_off  # still "no clocks for low"
            assert saved["warn_at"] == [0.875]  # untouched
            assert saved["name"] == "Standard (chat)"
            policy_form = admin.locator(f'li[data-policy="{policy["id"]}"]')  # drawn again, open
            await policy_form.get_by_label("Business hours").fill('{"timezone": "Mars/Olympus"}')
            await policy_form.get_by_role("button", name="Save").click()
            await expect(policy_form.locator(".error")).to_contain_text("Mars/Olympus")

            # the queue's opening hours: a calendar form; "always open" sends null
            queue_item = admin.locator(f'li[data-queue="{world.queue.id}"]')
            attempts = queue_item.get_by_label("Offers per ticket before it escalates")
            await attempts.fill("7")  # typed in the other form, not saved
            await queue_item.locator("summary", has_text="Opening hours").click()
            hours = queue_item.locator("form.hours")
            await expect(hours.get_by_label("Time zone")).to_be_hidden()  # always open so far
            await hours.get_by_label("Always open").uncheck()
            await hours.get_by_label("Time zone").fill("Europe/Berlin")
            await hours.get_by_role("button", name="Save").click()  # no hours yet: refused
            await expect(hours.locator(".error")).to_contain_text("never open")
            await hours.get_by_role("button", name="Add opening hours").click()  # Mo-Fr 9-17
            await hours.get_by_label("Sa", exact=True).check()
            await hours.get_by_label("End", exact=True).fill("18:00")
            await hours.get_by_role("button", name="Add day").click()
            await hours.get_by_label("Date").fill("2026-12-24")  # off by default
            await hours.get_by_role("button", name="Save").click()
            await expect(queue_item).to_contain_text("Opening hours: Europe/Berlin")
            await expect(attempts).to_have_value("7")  # the other form kept what was typed
            saved = await (await client.get(f"/api/v1/queues/{world.queue.id}",
                                            headers=world.auth("admin"))).json()  # fmt: skip
            assert saved["hours"] == {
                "timezone": "Europe/Berlin",
                "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "start": "09:00",
                            "end": "18:00"}],
                "exceptions": [{"date": "2026-12-24", "off": True}],
            }  # fmt: skip
            assert (saved["sl_target"], saved["escalate_after_s"]) == (0.9, 45)  # untouched
            hours = admin.locator(f'li[data-queue="{world.queue.id}"] form.hours')  # drawn again
            await hours.get_by_label("Time zone").fill("Mars/Olympus")
            await hours.get_by_role("button", name="Save").click()
            await expect(hours.locator(".error")).to_contain_text("Mars/Olympus")
            await hours.get_by_label("Always open").check()
            await hours.get_by_role("button", name="Save").click()
            await expect(queue_item).to_contain_text("SL 90% / 30s · Always open")  # drawn again
            saved = await (await client.get(f"/api/v1/queues/{world.queue.id}",
                                            headers=world.auth("admin"))).json()  # fmt: skip
            assert saved["hours"] is None

            await admin.get_by_label("Agents", exact=True).select_option(label="Agent")
            planner = admin.locator("form.shifts")
            await planner.get_by_label("Time zone").fill("Europe/Berlin")
            await planner.get_by_role("button", name="Add shift").click()  # Mo-Fr 09:00-17:00
            for day in ("We", "Th", "Fr"):
                await planner.get_by_label(day, exact=True).uncheck()
            await planner.get_by_label("End", exact=True).fill("16:30")
            await planner.get_by_role("button", name="Add leave").click()
            await planner.get_by_label("From").fill("2027-01-04")
            await planner.get_by_label("To", exact=True).fill("2027-01-08")
            await planner.get_by_label("Country").fill("de")
            await planner.get_by_role("button", name="Save").click()
            await expect(admin.locator("form.shifts [role=status]")).to_have_text("✓")
            saved = await (await client.get(f"/api/v1/users/{world.agent.id}/shifts",
                                            headers=world.auth("admin"))).json()  # fmt: skip
            assert saved["plan"] == {
                "timezone": "Europe/Berlin", "exceptions": [], "holidays": {"country": "DE",
                                                                           "region": None},
                "weekly": [{"days": ["mon", "tue"], "start": "09:00", "end": "16:30"}],
                "leave": [{"from": "2027-01-04", "to": "2027-01-08"}],
            }  # fmt: skip
            await expect(admin.locator(".upcoming li").first).to_be_visible()
            await admin.locator("form.shifts").get_by_label("Time zone").fill("Mars/Olympus")
            await admin.locator("form.shifts").get_by_role("button", name="Save").click()
            await expect(admin.locator("form.shifts .error")).to_contain_text("Mars/Olympus")
        finally:
            await browser.close()
