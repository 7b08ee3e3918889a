"""Load `config/demo.toml`: a brand, teams, queues, a WhatsApp and a Telegram account, users."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.actions.shifts import horizon, intervals_for
from contactcenter.api.schemas_routing import ShiftsIn
from contactcenter.api.schemas_sla import SlaPolicyIn
from contactcenter.security import hash_password, hash_token
from contactcenter.store import agents
from contactcenter.store.queries import q

DEMO_FILE = Path(__file__).resolve().parents[1] / "config" / "demo.toml"


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str
    token: str
    password: str = ""


@dataclass(frozen=True)
class Demo:
    brand_id: UUID
    accounts: list[dict[str, Any]]
    users: list[DemoUser]


def read(path: Path = DEMO_FILE) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


async def load(conn: asyncpg.Connection, path: Path = DEMO_FILE) -> Demo:
    """Insert what is missing, in one transaction; return what `dev` prints."""
    data = read(path)
    brand_id = UUID(data["brand"]["id"])
    async with conn.transaction():
        await conn.execute(q("demo.upsert_brand"), brand_id, data["brand"]["name"])
        teams = {t["name"]: UUID(t["id"]) for t in data.get("teams", [])}
        for name, team_id in teams.items():
            await conn.execute(q("demo.upsert_team"), team_id, name)
        queues = {qd["name"]: UUID(qd["id"]) for qd in data["queues"]}
        for qd in data["queues"]:
            await conn.execute(
                q("demo.upsert_queue"),
                UUID(qd["id"]),
                brand_id,
                qd["name"],
                teams.get(qd.get("team", "")),
                qd.get("required_skills", {}),
            )
        for pd in data.get("sla_policies", []):
            fields = {k: v for k, v in pd.items() if k != "id"} | {"brand_id": brand_id}
            policy = SlaPolicyIn.model_validate(fields).model_dump(mode="json")
            await conn.execute(
                q("demo.upsert_policy"), UUID(pd["id"]), brand_id, policy["name"],
                policy["targets"], policy["calendar"], policy["pause_on"], policy["warn_at"],
                policy["channels"], policy["is_default"],
            )  # fmt: skip
        for acc in data["channel_accounts"]:
            await conn.execute(
                q("demo.upsert_account"),
                UUID(acc["id"]),
                brand_id,
                acc["channel"],
                acc["name"],
                queues[acc["queue"]],
                acc["credentials"],
            )
        users = []
        for u in data["users"]:
            user_id = await conn.fetchval(
                q("demo.upsert_user"),
                u["email"],
                u["name"],
                u["role"],
                u.get("timezone", "UTC"),
                u.get("language", "en"),
                teams.get(u.get("team", "")),
            )
            await conn.execute(q("demo.upsert_token"), user_id, hash_token(u["token"]))
            if u.get("password"):
                await conn.execute(q("demo.set_password"), user_id, hash_password(u["password"]))
            await _agent(conn, user_id, u, queues)
            users.append(DemoUser(u["email"], u["role"], u["token"], u.get("password", "")))
    return Demo(brand_id, data["channel_accounts"], users)


async def _agent(
    conn: asyncpg.Connection, user_id: UUID, u: dict[str, Any], queues: dict[str, UUID]
) -> None:
    """Routing attributes and shifts of a demo agent (replaced on every load)."""
    changes: dict[str, Any] = {k: u[k] for k in ("skills", "languages", "capacity") if k in u}
    if "queues" in u:
        changes["queue_ids"] = [queues[name] for name in u["queues"]]
    if changes:
        await agents.update_agent(conn, user_id, changes)
    if "shifts" in u:
        now = datetime.now(UTC)
        plan = ShiftsIn.model_validate(u["shifts"])
        data = plan.model_dump(mode="json", by_alias=True)
        await agents.put_plan(conn, user_id, data, intervals_for(plan, now), now)
        await agents.set_materialized_until(conn, user_id, horizon(now))
