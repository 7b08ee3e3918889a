"""A small, known set of configuration rows every integration test starts from."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from contactcenter.actions import catalog, users
from contactcenter.api.schemas import ChannelAccountIn, UserIn
from contactcenter.api.schemas_routing import QueueIn
from contactcenter.models import Brand, ChannelAccount, Queue, Team, User

WA_SECRET = "test-app-secret"
WA_VERIFY = "test-verify-token"
WA_PHONE_ID = "106540352242922"
TG_BOT_TOKEN = "7000000042:AAtest-bot-token"
TG_SECRET = "test-secret_token-1"


@dataclass
class World:
    brand: Brand
    team_a: Team
    team_b: Team
    queue: Queue  # no team: every agent may see it
    queue_b: Queue  # team B only
    whatsapp: ChannelAccount
    telegram: ChannelAccount
    telegram_b: ChannelAccount  # feeds queue_b
    admin: User
    supervisor: User
    agent: User  # team A
    agent_b: User  # team B
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def build_world(conn: asyncpg.Connection) -> World:
    brand = await catalog.do_create_brand(conn, "Acme")
    team_a = await catalog.do_create_team(conn, "Team A")
    team_b = await catalog.do_create_team(conn, "Team B")
    queue = await catalog.do_create_queue(conn, QueueIn(brand_id=brand.id, name="General"))
    queue_b = await catalog.do_create_queue(
        conn, QueueIn(brand_id=brand.id, name="VIP", team_id=team_b.id)
    )
    wa = await catalog.do_create_account(
        conn,
        ChannelAccountIn(
            brand_id=brand.id,
            channel="whatsapp",
            name="WA",
            queue_id=queue.id,
            credentials={
                "app_secret": WA_SECRET,
                "verify_token": WA_VERIFY,
                "access_token": "EAAG-test",
                "phone_number_id": WA_PHONE_ID,
            },
        ),
    )
    tg = await catalog.do_create_account(
        conn,
        ChannelAccountIn(
            brand_id=brand.id,
            channel="telegram",
            name="Bot",
            queue_id=queue.id,
            credentials={"bot_token": TG_BOT_TOKEN, "secret_token": TG_SECRET},
        ),
    )
    tg_b = await catalog.do_create_account(
        conn,
        ChannelAccountIn(
            brand_id=brand.id,
            channel="telegram",
            name="VIP bot",
            queue_id=queue_b.id,
            credentials={"bot_token": "7000000043:AAvip", "secret_token": "vip-secret"},
        ),
    )
    tokens: dict[str, str] = {}
    people: dict[str, User] = {}
    for key, role, team in (
        ("admin", "admin", None),
        ("supervisor", "supervisor", None),
        ("agent", "agent", team_a.id),
        ("agent_b", "agent", team_b.id),
    ):
        user, token = await users.do_create_user(
            conn, UserIn(email=f"{key}@acme.test", name=key.title(), role=role, team_id=team)
        )
        people[key], tokens[key] = user, token
    return World(
        brand,
        team_a,
        team_b,
        queue,
        queue_b,
        wa,
        tg,
        tg_b,
        people["admin"],
        people["supervisor"],
        people["agent"],
        people["agent_b"],
        tokens,
    )
