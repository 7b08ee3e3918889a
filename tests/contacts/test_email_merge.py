"""Contacts merge on a verified e-mail address: only when a trusted party vouches for it (the
MTA's Authentication-Results, SendGrid's DKIM report, the brand's own signed API); a From line
alone, which anyone can write, never merges."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.actions.contacts import do_link_verified
from contactcenter.channels.email_mime import parse
from tests.outbound.test_api_channel import SECRET
from tests.outbound.test_api_channel import _post as post_api
from tests.world import World

Client = TestClient[Any, Any]


def _mail(results: str = "", sender: str = "ines@mail.example.org") -> bytes:
    head = f"Authentication-Results: {results}\r\n" if results else ""
    return (f"{head}From: Ines <{sender}>\r\nTo: help@acme.test\r\nSubject: Hi\r\n"
            f"Message-ID: <m-{hash(results)}@x>\r\n\r\nHello\r\n").encode()  # fmt: skip


@pytest.mark.parametrize(("results", "trusted", "dkim", "verified"), [
    ("mx.acme.test; dmarc=pass header.from=mail.example.org", "mx.acme.test", (), True),
    ("mx.acme.test; spf=fail; dkim=pass header.d=example.org", "mx.acme.test", (), True),
    ("MX.ACME.TEST 1; dkim=pass (good) header.d=example.org", "mx.acme.test", (), True),
    ("evil.test; dmarc=pass header.from=mail.example.org", "mx.acme.test", (), False),
    ("mx.acme.test; dmarc=pass header.from=mail.example.org", None, (), False),
    ("mx.acme.test; dkim=pass header.d=other.org", "mx.acme.test", (), False),
    ("mx.acme.test; dkim=pass header.d=org", "mx.acme.test", (), False),  # a bare suffix
    ("mx.acme.test; dkim=fail header.d=example.org", "mx.acme.test", (), False),
    ("", None, ("example.org",), True),  # SendGrid's dkim field: {@example.org : pass}
    ("", None, ("other.org",), False),
])  # fmt: skip
def test_which_mail_counts_as_verified(
    results: str, trusted: str | None, dkim: tuple[str, ...], verified: bool
) -> None:
    message = parse(_mail(results), trusted, dkim).message
    assert message is not None
    assert message.verified_email == ("ines@mail.example.org" if verified else None)


async def _accounts(client: Client, world: World) -> tuple[str, str]:
    ids = []
    for channel, creds in (("email", {"address": "help@acme.test", "sendgrid_secret": "sg"}),
                           ("api", {"hmac_secret": SECRET, "callback_url": "http://127.0.0.1:9/"})):  # fmt: skip
        resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
            "brand_id": str(world.brand.id), "channel": channel, "name": channel,
            "queue_id": str(world.queue.id), "credentials": creds,
        })  # fmt: skip
        ids.append((await resp.json())["id"])
    return ids[0], ids[1]


async def _sendgrid(client: Client, account: str, n: int, dkim: str) -> None:
    fields = {"email": _mail(sender="Ines@Mail.Example.org").decode().replace("m-", f"sg{n}-"),
              "dkim": dkim}  # fmt: skip
    body = b"".join(f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items()) + b"--B--\r\n"  # fmt: skip
    resp = await client.post(f"/webhooks/email/{account}?key=sg", data=body,
                             headers={"Content-Type": "multipart/form-data; boundary=B"})  # fmt: skip
    assert resp.status == 200 and (await resp.json())["stored"] == 1


async def test_shop_customer_and_her_authenticated_mail_become_one_contact(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    email, api = await _accounts(client, world)
    message = {"id": "q1", "conversation_id": "order-17", "text": "Where is my order?",
               "sender": {"id": "customer-9", "name": "Ines",
                          "verified_email": "ines@mail.example.org"}}  # fmt: skip
    assert (await post_api(client, api, {"messages": [message]})).status == 200
    await _sendgrid(client, email, 1, dkim="{@spoofed.test : pass}")  # not her domain
    async with pool.acquire() as conn:
        assert await do_link_verified(conn) == 0  # an unverified From line merges nothing
    contacts = await pool.fetchval("SELECT count(DISTINCT contact_id) FROM contact_identities")
    assert contacts == 2

    await pool.execute("UPDATE tickets SET status = 'solved', solved_at = now()")
    await _sendgrid(client, email, 2, dkim="{@mail.example.org : pass}, {@sendgrid.net : pass}")
    async with pool.acquire() as conn:
        assert await do_link_verified(conn) == 1
        assert await do_link_verified(conn) == 0  # the mark moved on
    rows = await pool.fetch("SELECT DISTINCT contact_id FROM contact_identities")
    assert len(rows) == 1
    view = await (await client.get(f"/api/v1/contacts/{rows[0]['contact_id']}",
                                   headers=world.auth("agent"))).json()  # fmt: skip
    assert {(i["channel"], i["verified_email"]) for i in view["identities"]} == {
        ("api", "ines@mail.example.org"), ("email", "ines@mail.example.org")}  # fmt: skip
    assert [m["reason"] for m in view["merges"]] == ["email"]


async def test_a_malformed_verified_email_is_refused(client: Client, world: World) -> None:
    _, api = await _accounts(client, world)
    message = {"id": "q2", "conversation_id": "c", "text": "x",
               "sender": {"id": "c9", "verified_email": "not-an-address"}}  # fmt: skip
    resp = await post_api(client, api, {"messages": [message]})
    assert resp.status == 400 and "verified_email" in (await resp.text())


def test_only_the_topmost_authentication_results_counts() -> None:
    """Our MTA adds its header on top; one further down was written before it arrived (by the
    sender, say) and never verifies anybody, even with our authserv-id in it."""
    forged = b"Authentication-Results: mx.acme.test; dmarc=pass header.from=mail.example.org\r\n"
    ours_fail = b"Authentication-Results: mx.acme.test; dmarc=fail header.from=mail.example.org\r\n"
    other = b"Authentication-Results: relay.example; spf=pass\r\n"
    for top, verified in ((ours_fail + forged, False), (other + forged, False),
                          (forged + other, True)):  # fmt: skip
        message = parse(top + _mail(), "mx.acme.test").message
        assert message is not None
        assert message.verified_email == ("ines@mail.example.org" if verified else None)


def test_nul_in_headers_and_names_is_dropped() -> None:
    """An encoded word can carry NUL (PostgreSQL text cannot): dropped, the mail stays whole."""
    raw = (b"From: =?utf-8?q?In=00es?= <ines@example.org>\r\nSubject: =?utf-8?q?a=00b?=\r\n"
           b"Message-ID: <nul-1@example.org>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n--b\r\nContent-Type: text/plain\r\n"
           b'Content-Disposition: attachment; filename="=?utf-8?q?x=00.txt?="\r\n\r\ny\r\n--b--\r\n')  # fmt: skip
    message = parse(raw).message
    assert message is not None
    assert (message.sender_name, message.thread) == ("Ines", ("ab", ""))
    assert [a.name for a in message.attachments] == ["x.txt"]
