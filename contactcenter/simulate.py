"""Realistic, correctly signed WhatsApp and Telegram webhooks for demos, tests and benchmarks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import time
from typing import Any

import aiohttp
import orjson

from contactcenter import demo

NAMES = ["Jürgen Müller", "Zoë Ashford", "Ana Souza", "Kenji Sato", "Fatima Zahra", "Oskar Öberg"]
TEXTS = [
    "Hallo, meine Bestellung #{n} ist noch nicht angekommen 📦",
    "Hi, can I change the delivery address for order #{n}?",
    "Grüße aus Köln! Wo bleibt mein Paket? 🙏",
    "The espresso machine from order #{n} makes a strange noise ☕",
]


def whatsapp_payload(
    phone_number_id: str, messages: list[tuple[str, str, str, int]], name: str = ""
) -> bytes:
    """One webhook with messages (wamid, sender wa_id, text, unix seconds) in one change."""
    senders = sorted({m[1] for m in messages})
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
        "contacts": [
            {"profile": {"name": name or NAMES[hash(s) % len(NAMES)]}, "wa_id": s} for s in senders
        ],
        "messages": [
            {"from": s, "id": wamid, "timestamp": str(ts), "type": "text", "text": {"body": text}}
            for wamid, s, text, ts in messages
        ],
    }
    hook = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }
    return orjson.dumps(hook)


def whatsapp_signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def telegram_payload(update_id: int, chat_id: int, message_id: int, text: str, name: str) -> bytes:
    first, _, last = name.partition(" ")
    user = {
        "id": chat_id,
        "is_bot": False,
        "first_name": first,
        "last_name": last,
        "language_code": "de",
    }
    return orjson.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": message_id,
                "from": user,
                "chat": {"id": chat_id, "first_name": first, "type": "private"},
                "date": int(time.time()),
                "text": text,
            },
        }
    )


async def simulate(url: str, count: int, rate: float) -> None:
    """Post `count` demo messages (alternating WhatsApp and Telegram) at about `rate` per second."""
    accounts = {a["channel"]: a for a in demo.read()["channel_accounts"]}
    wa, tg = accounts["whatsapp"], accounts["telegram"]
    run = int(time.time())
    async with aiohttp.ClientSession() as session:
        for n in range(count):
            customer = random.randrange(8)  # noqa: S311 - demo traffic, not cryptography
            text = random.choice(TEXTS).format(n=1000 + n)  # noqa: S311
            if n % 2 == 0:
                body = whatsapp_payload(
                    wa["credentials"]["phone_number_id"],
                    [(f"wamid.sim{run}.{n}", f"4915100000{customer:02d}", text, int(time.time()))],
                )
                headers = {
                    "X-Hub-Signature-256": whatsapp_signature(wa["credentials"]["app_secret"], body)
                }
                target = f"{url}/webhooks/whatsapp/{wa['id']}"
            else:
                body = telegram_payload(
                    run * 1000 + n, 500000 + customer, run + n, text, NAMES[customer % len(NAMES)]
                )
                headers = {"X-Telegram-Bot-Api-Secret-Token": tg["credentials"]["secret_token"]}
                target = f"{url}/webhooks/telegram/{tg['id']}"
            headers["Content-Type"] = "application/json"
            async with session.post(target, data=body, headers=headers) as resp:
                answer: Any = await resp.json()
                print(f"{resp.status} {target.rsplit('/', 2)[-2]:<9} {answer}")
            await asyncio.sleep(1 / rate)
