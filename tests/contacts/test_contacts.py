"""Contacts across platforms: automatic merge on a verified phone, manual merge and split."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import asyncpg
from aiohttp.test_utils import TestClient

from contactcenter.actions.contacts import do_link_verified
from contactcenter.channels.twilio_sms import signature
from tests.helpers import post_telegram, post_whatsapp, wa_hook, wa_text
from tests.world import World

Client = TestClient[Any, Any]
TOKEN = "sms-token"


async def _sms_account(client: Client, world: World) -> str:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "twilio-sms", "name": "SMS",
        "queue_id": str(world.queue.id),
        "credentials": {"account_sid": "AC1", "auth_token": TOKEN, "from_number": "+14155550000"},
    })  # fmt: skip
    account: str = (await resp.json())["id"]
    return account


async def _sms(client: Client, account: str, sid: str, sender: str) -> None:
    path = f"/webhooks/twilio-sms/{account}"
    fields = {"MessageSid": sid, "From": sender, "To": "+14155550000", "Body": "Hi by SMS"}
    resp = await client.post(path, data=urlencode(fields).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature(TOKEN, "http://testserver" + path, list(fields.items())),
    })  # fmt: skip
    assert resp.status == 200


async def _whatsapp(client: Client, world: World, wamid: str, phone: str) -> None:
    resp = await post_whatsapp(
        client, world, wa_hook(wa_text(wamid, phone, "Hallo", int(time.time())))
    )
    assert (await resp.json())["stored"] == 1


async def _telegram(client: Client, world: World, chat: int) -> None:
    body = (f'{{"update_id": {chat}, "message": {{"message_id": 1, "date": {int(time.time())}, '
            f'"chat": {{"id": {chat}, "type": "private"}}, "from": {{"id": {chat}, '
            f'"is_bot": false, "first_name": "Tom"}}, "text": "hi"}}}}').encode()  # fmt: skip
    assert (await post_telegram(client, world, body)).status == 200


async def _contact_of(pool: asyncpg.Pool, channel: str, external_id: str) -> Any:
    return await pool.fetchval(
        "SELECT contact_id FROM contact_identities WHERE channel = $1 AND external_id = $2",
        channel, external_id,
    )  # fmt: skip


async def test_same_verified_phone_on_whatsapp_and_sms_is_one_contact(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    account = await _sms_account(client, world)
    await _whatsapp(client, world, "wamid.c1", "4915100000001")
    await _sms(client, account, "SMc1", "+4915100000001")
    await _sms(client, account, "SMc2", "+4915100000002")  # somebody else
    wa = await _contact_of(pool, "whatsapp", "4915100000001")
    sms = await _contact_of(pool, "twilio-sms", "+4915100000001")
    assert wa != sms
    async with pool.acquire() as conn:
        assert await do_link_verified(conn) == 1
        assert await do_link_verified(conn) == 0  # nothing new since the mark
    assert await _contact_of(pool, "twilio-sms", "+4915100000001") == wa
    assert await _contact_of(pool, "twilio-sms", "+4915100000002") not in (wa, None)
    view = await (await client.get(f"/api/v1/contacts/{wa}", headers=world.auth("agent"))).json()
    assert sorted(i["channel"] for i in view["identities"]) == ["twilio-sms", "whatsapp"]
    assert sorted(t["channel"] for t in view["tickets"]) == ["twilio-sms", "whatsapp"]
    assert [m["reason"] for m in view["merges"]] == ["phone"]
    old = await (await client.get(f"/api/v1/contacts/{sms}", headers=world.auth("agent"))).json()
    assert old["id"] == str(wa)  # the merged-away id leads to the surviving contact


async def test_manual_merge_split_and_roles(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    await _whatsapp(client, world, "wamid.c3", "4915100000003")
    await _telegram(client, world, 777001)
    wa = await _contact_of(pool, "whatsapp", "4915100000003")
    tg = await _contact_of(pool, "telegram", "777001")
    path = f"/api/v1/contacts/{wa}/merge"
    assert (
        await client.post(path, json={"contact_id": str(tg)}, headers=world.auth("agent"))
    ).status == 403
    resp = await client.post(path, json={"contact_id": str(tg)}, headers=world.auth("supervisor"))
    assert resp.status == 200, await resp.text()
    view = await resp.json()
    assert sorted(i["channel"] for i in view["identities"]) == ["telegram", "whatsapp"]
    tickets = await pool.fetch("SELECT contact_id FROM tickets")
    assert {r["contact_id"] for r in tickets} == {wa}
    again = await client.post(path, json={"contact_id": str(tg)}, headers=world.auth("supervisor"))
    assert again.status == 409  # merged already: it points at the survivor

    # as if the Telegram conversation were a public thread (a post's comments): it still moves
    await pool.execute("UPDATE tickets SET platform_conversation_id = 'post:1' "
                       "WHERE channel = 'telegram'")  # fmt: skip
    split = await client.post(f"/api/v1/contacts/{wa}/split", headers=world.auth("supervisor"),
                              json={"channel": "telegram", "external_id": "777001"})  # fmt: skip
    assert split.status == 201, await split.text()
    new = (await split.json())["id"]
    assert [i["channel"] for i in (await split.json())["identities"]] == ["telegram"]
    assert await pool.fetchval("SELECT contact_id FROM tickets WHERE channel = 'telegram'") == \
        await _contact_of(pool, "telegram", "777001")  # fmt: skip
    assert str(await _contact_of(pool, "telegram", "777001")) == new
    only = await client.post(f"/api/v1/contacts/{new}/split", headers=world.auth("supervisor"),
                             json={"channel": "telegram", "external_id": "777001"})  # fmt: skip
    assert only.status == 400  # its only identity


async def test_two_open_tickets_of_one_conversation_do_not_merge(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Two people's open tickets in different conversations merge fine (each stays its own
    conversation); two open tickets of one conversation on one account (two commenters under
    one post, say) cannot become one contact's: 409, nothing moved."""
    await _whatsapp(client, world, "wamid.c4", "4915100000004")
    await _whatsapp(client, world, "wamid.c5", "4915100000005")
    await _whatsapp(client, world, "wamid.c6", "4915100000006")
    a = await _contact_of(pool, "whatsapp", "4915100000004")
    b = await _contact_of(pool, "whatsapp", "4915100000005")
    c = await _contact_of(pool, "whatsapp", "4915100000006")
    ok = await client.post(f"/api/v1/contacts/{a}/merge", json={"contact_id": str(b)},
                           headers=world.auth("supervisor"))  # fmt: skip
    assert ok.status == 200
    open_tickets = await pool.fetch(
        "SELECT platform_conversation_id FROM tickets WHERE contact_id = $1 AND status = 'new'", a
    )
    assert sorted(r[0] for r in open_tickets) == ["4915100000004", "4915100000005"]
    await pool.execute("UPDATE tickets SET status = 'solved', solved_at = now() "
                       "WHERE platform_conversation_id = '4915100000005'")  # fmt: skip
    await pool.execute("UPDATE tickets SET platform_conversation_id = 'post:1' "
                       "WHERE status = 'new' AND contact_id = ANY($1::uuid[])", [a, c])  # fmt: skip
    resp = await client.post(f"/api/v1/contacts/{a}/merge", json={"contact_id": str(c)},
                             headers=world.auth("supervisor"))  # fmt: skip
    assert resp.status == 409 and "open ticket" in (await resp.json())["error"]["message"]
    assert await _contact_of(pool, "whatsapp", "4915100000006") == c  # nothing moved


async def test_agents_see_only_tickets_they_may_open(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A contact with a ticket in team B's queue: team A's agent sees it counted, not listed."""
    await _telegram(client, world, 777002)
    contact = await _contact_of(pool, "telegram", "777002")
    await pool.execute("UPDATE tickets SET queue_id = $1", world.queue_b.id)
    mine = await (
        await client.get(f"/api/v1/contacts/{contact}", headers=world.auth("agent"))
    ).json()
    assert (mine["tickets"], mine["tickets_hidden"]) == ([], 1)
    theirs = await (await client.get(f"/api/v1/contacts/{contact}",
                                     headers=world.auth("agent_b"))).json()  # fmt: skip
    assert len(theirs["tickets"]) == 1 and theirs["tickets_hidden"] == 0


async def test_a_caller_id_never_merges_by_itself(pool: asyncpg.Pool) -> None:
    """Caller IDs can be spoofed: a call's number is no verified phone; SMS and WhatsApp are."""
    found = await pool.fetch(
        "SELECT c, verified_phone(c, '+4915100000007') AS phone "
        "FROM unnest(ARRAY['whatsapp', 'twilio-sms', 'twilio-voice']) c ORDER BY c"
    )
    assert [(r["c"], r["phone"]) for r in found] == [
        ("twilio-sms", "+4915100000007"),
        ("twilio-voice", None),
        ("whatsapp", "+4915100000007"),
    ]


async def test_one_conversation_across_channels(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A person who wrote on WhatsApp and Telegram (merged): their messages on both channels in
    order; an agent who may not open one of the tickets does not see its messages."""
    await _whatsapp(client, world, "wamid.t1", "4915100000010")
    await _telegram(client, world, 777010)
    wa = await _contact_of(pool, "whatsapp", "4915100000010")
    tg = await _contact_of(pool, "telegram", "777010")
    await pool.execute("UPDATE messages SET sent_at = now() - interval '1 hour' "
                       "WHERE platform_message_id = 'wamid.t1'")  # fmt: skip
    merged = await client.post(f"/api/v1/contacts/{wa}/merge", json={"contact_id": str(tg)},
                               headers=world.auth("supervisor"))  # fmt: skip
    assert merged.status == 200
    url = f"/api/v1/contacts/{tg}/messages"  # the merged-away id answers for the survivor
    items = (await (await client.get(url, headers=world.auth("agent"))).json())["items"]
    assert [(m["channel"], m["text"]) for m in items] == [("whatsapp", "Hallo"), ("telegram", "hi")]
    await pool.execute("UPDATE tickets SET queue_id = $1 WHERE channel = 'telegram'",
                       world.queue_b.id)  # team B's now  # fmt: skip
    mine = (await (await client.get(url, headers=world.auth("agent"))).json())["items"]
    assert [m["channel"] for m in mine] == ["whatsapp"]
