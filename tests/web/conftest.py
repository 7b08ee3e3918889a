"""Dashboard test helpers: users with passwords, and signed-in sessions."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.security import hash_password
from tests.outbound.conftest import Fake, fake  # noqa: F401 - the platforms' send APIs
from tests.world import World

Client = TestClient[Any, Any]
PASSWORD = "correct horse battery"


@pytest.fixture
async def passwords(pool: asyncpg.Pool, world: World) -> None:
    """Every user of the world can sign in with PASSWORD."""
    await pool.execute("UPDATE users SET password_hash = $1", hash_password(PASSWORD))


def origin(client: Client) -> str:
    return str(client.make_url("")).rstrip("/")


async def sign_in(client: Client, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the page's CSRF token."""
    resp = await client.post("/login", data={"email": email, "password": password},
                             headers={"Origin": origin(client)})  # fmt: skip
    assert resp.status == 200 and resp.url.path == "/app", await resp.text()
    found = re.search(r'name="csrf-token" content="([^"]+)"', await resp.text())
    assert found is not None
    return found.group(1)


async def signed_in_page(browser: Any, base: str, email: str, **options: Any) -> Any:
    """A browser page signed in through the form as `email` (options: Playwright's new_page)."""
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, **options)
    await page.goto(f"{base}/login")
    await page.locator("#email").fill(email)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("button[type=submit]").click()
    await page.wait_for_url(f"{base}/app")
    return page


__all__ = ["Fake", "origin", "sign_in", "signed_in_page"]
