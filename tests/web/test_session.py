"""Signing in to the dashboards: passwords (argon2id) or an API token give an HttpOnly,
SameSite session cookie; every change made with it needs the page's CSRF token; sign-out and
expiry end it; a form post from another site is refused."""

from __future__ import annotations

import ast
import unittest.mock
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.security import hash_password, password_matches
from contactcenter.web import i18n
from tests.web.conftest import PASSWORD, origin, sign_in
from tests.world import World

Client = TestClient[Any, Any]
pytestmark = pytest.mark.usefixtures("passwords")


def test_passwords_are_argon2id_and_checked() -> None:
    stored = hash_password("s3cret-enough")
    assert stored.startswith("$argon2id$")
    assert password_matches(stored, "s3cret-enough")
    assert not password_matches(stored, "wrong") and not password_matches(None, "anything")


async def test_password_sign_in_sets_a_safe_cookie(client: Client, world: World) -> None:
    resp = await client.post("/login", data={"email": "Agent@Acme.test", "password": PASSWORD},
                             headers={"Origin": origin(client)}, allow_redirects=False)  # fmt: skip
    assert resp.status == 303 and resp.headers["Location"] == "/app"
    cookie = resp.headers["Set-Cookie"]
    assert "cc_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # http here; behind https (CC_PUBLIC_URL) it is Secure
    me = await client.get("/api/v1/me")
    assert me.status == 200 and (await me.json())["email"] == "agent@acme.test"


async def test_wrong_credentials_say_what_to_do(client: Client, world: World) -> None:
    for form in ({"email": "agent@acme.test", "password": "nope"},
                 {"email": "nobody@acme.test", "password": PASSWORD},
                 {"token": "cc_not-a-token"}):  # fmt: skip
        resp = await client.post("/login", data=form, headers={"Origin": origin(client)})
        assert resp.status == 401
        assert "do not match" in await resp.text()
    assert (await client.get("/api/v1/me")).status == 401


async def test_a_form_from_another_site_is_refused(client: Client, world: World) -> None:
    for headers in ({"Origin": "https://evil.example"}, {}):
        resp = await client.post("/login", data={"email": "agent@acme.test", "password": PASSWORD},
                                 headers=headers)  # fmt: skip
        assert resp.status == 403 and "our own page" in await resp.text()
    assert (await client.get("/api/v1/me")).status == 401


async def test_an_api_token_signs_in_too(client: Client, world: World) -> None:
    resp = await client.post("/login", data={"token": world.tokens["supervisor"]},
                             headers={"Origin": origin(client)})  # fmt: skip
    assert resp.status == 200 and resp.url.path == "/app"
    assert (await (await client.get("/api/v1/me")).json())["role"] == "supervisor"


async def test_changes_with_the_cookie_need_the_csrf_token(client: Client, world: World) -> None:
    csrf = await sign_in(client, "agent@acme.test")
    body = {"status": "away"}
    bare = await client.put("/api/v1/me/presence", json=body)
    assert bare.status == 403 and "X-CSRF-Token" in (await bare.json())["error"]["message"]
    wrong = await client.put("/api/v1/me/presence", json=body, headers={"X-CSRF-Token": "x"})
    assert wrong.status == 403
    ok = await client.put("/api/v1/me/presence", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status == 200 and (await ok.json())["status"] == "away"
    assert (await client.get("/api/v1/me/presence")).status == 200  # reads need no token


async def test_roles_still_apply_to_the_session(client: Client, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    assert (await client.get("/api/v1/metrics/queues")).status == 403
    assert (await client.get("/api/v1/me/tickets")).status == 200


async def test_sign_out_and_expiry_end_the_session(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    await sign_in(client, "agent@acme.test")
    out = await client.post("/logout", headers={"Origin": origin(client)}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/login"
    assert await pool.fetchval("SELECT count(*) FROM web_sessions") == 0
    assert (await client.get("/api/v1/me")).status == 401
    page = await client.get("/app", allow_redirects=False)
    assert page.status == 302 and page.headers["Location"] == "/login"
    await sign_in(client, "agent@acme.test")
    await pool.execute("UPDATE web_sessions SET expires_at = now() - interval '1 second'")
    expired = await client.get("/api/v1/me")
    assert expired.status == 401 and "sign in again" in (await expired.json())["error"]["message"]


async def test_the_page_and_its_files(client: Client, world: World) -> None:
    login = await client.get("/login", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
    assert login.status == 200 and 'lang="de"' in await login.text()
    assert "Anmelden" in await login.text()
    await sign_in(client, "agent@acme.test")
    page = await client.get("/app")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    script = await client.get("/app/static/app.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    for bad in ("/app/static/..%2f..%2fsettings.py", "/app/static/nope.js", "/app/i18n/xx.json"):
        assert (await client.get(bad)).status == 404
    words = await (await client.get("/app/i18n/de.json")).json()
    assert words["accept"] == "Annehmen" and words["nav_board"] == "Übersicht"


async def test_language_preference(client: Client, world: World, pool: asyncpg.Pool) -> None:
    csrf = await sign_in(client, "agent@acme.test")
    resp = await client.patch("/api/v1/me", json={"language": "de"}, headers={"X-CSRF-Token": csrf})
    assert resp.status == 200
    assert 'lang="de"' in await (await client.get("/app")).text()
    bad = await client.patch("/api/v1/me", json={"language": "xx"}, headers={"X-CSRF-Token": csrf})
    assert bad.status == 400


async def test_guessing_is_throttled(client: Client, world: World) -> None:
    """Ten wrong passwords for one account: the eleventh attempt is refused even when right,
    for 15 minutes (the argon2 check runs off the event loop either way)."""
    form = {"email": "agent@acme.test", "password": "wrong"}
    for _ in range(10):
        resp = await client.post("/login", data=form, headers={"Origin": origin(client)})
        assert resp.status == 401
    right = await client.post("/login", data=form | {"password": PASSWORD},
                              headers={"Origin": origin(client)})  # fmt: skip
    assert right.status == 429 and "Too many failed sign-ins" in await right.text()
    other = await client.post("/login", data={"email": "admin@acme.test", "password": PASSWORD},
                              headers={"Origin": origin(client)})  # fmt: skip
    assert other.status == 200  # another account is not locked by it


async def test_sessions_end_with_their_credentials(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A new password ends the user's sessions; a session opened with an API token ends when
    the token is revoked; signing in again replaces the browser's old session; a sign-out
    posted from another site does nothing."""
    from contactcenter.store import sessions as store

    await sign_in(client, "agent@acme.test")
    await sign_in(client, "agent@acme.test")
    assert await pool.fetchval("SELECT count(*) FROM web_sessions") == 1
    evil = await client.post("/logout", headers={"Origin": "https://evil.example"})
    assert evil.status == 403 and (await client.get("/api/v1/me")).status == 200
    async with pool.acquire() as conn:
        assert await store.set_password(conn, "agent@acme.test", hash_password("another one"))
    assert (await client.get("/api/v1/me")).status == 401

    resp = await client.post("/login", data={"token": world.tokens["supervisor"]},
                             headers={"Origin": origin(client)})  # fmt: skip
    assert resp.status == 200 and (await client.get("/api/v1/me")).status == 200
    await pool.execute("UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1",
                       world.supervisor.id)  # fmt: skip
    assert (await client.get("/api/v1/me")).status == 401


async def test_the_live_stream_ends_when_the_session_does(
    client: Client, world: World, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from contactcenter.web import events

    monkeypatch.setattr(events, "RECHECK_S", 0.1)
    await sign_in(client, "supervisor@acme.test")
    resp = await client.get("/api/v1/events")
    assert resp.status == 200
    await resp.content.readline()
    await pool.execute("UPDATE users SET deactivated_at = now() WHERE id = $1", world.supervisor.id)
    seen = b""
    async with asyncio.timeout(5):
        while b"signed_out" not in seen:
            seen += await resp.content.readline()
    assert b"event: signed_out" in seen


async def test_parallel_guesses_and_tokens_cannot_get_past_the_limit(
    client: Client, world: World
) -> None:
    """Twenty guesses at once: at most ten get an answer, the rest 429 (attempts are counted
    before the check). A valid token typed with someone's e-mail does not reset their count."""
    import asyncio

    form = {"email": "agent@acme.test", "password": "wrong"}
    answers = await asyncio.gather(*(
        client.post("/login", data=form, headers={"Origin": origin(client)}) for _ in range(20)
    ))  # fmt: skip
    statuses = sorted(r.status for r in answers)
    assert statuses.count(401) == 10 and statuses.count(429) == 10
    token = await client.post("/login", headers={"Origin": origin(client)},
                              data={"email": "agent@acme.test", "token": world.tokens["admin"]})  # fmt: skip
    assert token.status == 200  # the admin's own sign-in works
    still = await client.post("/login", data=form | {"password": PASSWORD},
                              headers={"Origin": origin(client)})  # fmt: skip
    assert still.status == 429  # and the agent's account stays locked


def test_every_word_is_written_once_in_both_languages() -> None:
    """A key written twice silently keeps the last text (one screen's words on another)."""
    tree = ast.parse(Path(i18n.__file__).read_text())
    for table in ("EN", "DE"):
        [node] = [n.value for n in ast.walk(tree) if isinstance(n, ast.AnnAssign | ast.Assign)
                  and getattr(getattr(n, "target", None) or n.targets[0], "id", "") == table]  # fmt: skip
        assert isinstance(node, ast.Dict)
        keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
        assert [k for k, n in Counter(keys).items() if n > 1] == [], table
    assert set(i18n.DE) == set(i18n.EN)


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "counted"), [
    ("203.0.113.7", None, False, "203.0.113.7"),
    ("2001:db8:1:2:aaaa::1", None, False, "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:1:2:3", None, False, "2001:db8:1:2::/64"),  # same network, same count
    ("2001:db8:1:3::1", None, False, "2001:db8:1:3::/64"),
    ("::ffff:203.0.113.7", None, False, "203.0.113.7"),
    ("64:ff9b::cb00:7107", None, False, "203.0.113.7"),  # an IPv4 client through NAT64
    ("10.0.0.2", "198.51.100.1, 2001:db8:9:9::5", True, "2001:db8:9:9::/64"),
    ("10.0.0.2", "2001:db8:9:9::5", False, "10.0.0.2"),  # untrusted header: the peer
])  # fmt: skip
def test_throttles_count_an_ipv6_client_by_its_network(
    settings: Any, peer: str, forwarded: str | None, trusted: bool, counted: str
) -> None:
    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from contactcenter import keys
    from contactcenter.web.session import client_address

    app = web.Application()
    app[keys.SETTINGS] = settings.model_copy(update={"trust_forwarded_for": trusted})
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    transport = unittest.mock.Mock()
    transport.get_extra_info.return_value = (peer, 443)
    request = make_mocked_request("POST", "/login", headers=headers, app=app, transport=transport)
    assert client_address(request) == counted
