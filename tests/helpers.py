"""Signed requests and small database probes shared by the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from contactcenter.simulate import whatsapp_signature
from tests.world import TG_SECRET, WA_SECRET, World

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture(name))
    return data


def wa_headers(body: bytes, secret: str = WA_SECRET) -> dict[str, str]:
    return {
        "X-Hub-Signature-256": whatsapp_signature(secret, body),
        "Content-Type": "application/json",
    }


def tg_headers(secret: str = TG_SECRET) -> dict[str, str]:
    return {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}


async def post_whatsapp(client: TestClient[Any, Any], world: World, body: bytes) -> Any:
    return await client.post(
        f"/webhooks/whatsapp/{world.whatsapp.id}", data=body, headers=wa_headers(body)
    )


async def post_telegram(client: TestClient[Any, Any], world: World, body: bytes) -> Any:
    return await client.post(
        f"/webhooks/telegram/{world.telegram.id}", data=body, headers=tg_headers()
    )


async def counts(pool: asyncpg.Pool) -> dict[str, int]:
    """Rows in the tables ingest writes to."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM tickets) AS tickets,"
            " (SELECT count(*) FROM contacts) AS contacts,"
            " (SELECT count(*) FROM contact_identities) AS identities,"
            " (SELECT count(*) FROM delivery_receipts) AS receipts"
        )
    return dict(row)


def wa_text(wamid: str, sender: str, text: str, ts: int, name: str = "Kunde") -> dict[str, Any]:
    """A minimal `value` holding one text message, for hand-built batches."""
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": name}, "wa_id": sender}],
        "messages": [
            {
                "from": sender,
                "id": wamid,
                "timestamp": str(ts),
                "type": "text",
                "text": {"body": text},
            }
        ],
    }


def wa_hook(*values: dict[str, Any], entries: int = 1) -> bytes:
    """Wrap values as changes, spread over `entries` entries."""
    changes = [{"field": "messages", "value": v} for v in values]
    per = max(1, -(-len(changes) // entries))
    entry = [
        {"id": "102290129340398", "changes": changes[i : i + per]}
        for i in range(0, len(changes), per)
    ]
    return json.dumps(
        {"object": "whatsapp_business_account", "entry": entry}, ensure_ascii=False
    ).encode()
