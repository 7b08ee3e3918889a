"""A web process's short-lived copy of channel accounts, so a webhook costs no lookup query.

Entries live `ttl` seconds: a changed secret takes effect within that time. Unknown ids are not
cached (random ids in URLs must not fill memory) and the cache is bounded.
"""

from __future__ import annotations

import time
from uuid import UUID

import asyncpg

from contactcenter import constants
from contactcenter.models import ChannelAccount
from contactcenter.store import catalog, db


class AccountCache:
    def __init__(self, pool: asyncpg.Pool, ttl: float) -> None:
        self._pool = pool
        self._ttl = ttl
        self._entries: dict[UUID, tuple[float, ChannelAccount]] = {}

    async def get(self, account_id: UUID) -> ChannelAccount | None:
        now = time.monotonic()
        hit = self._entries.get(account_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with db.connection(self._pool) as conn:
            account = await catalog.get_account(conn, account_id)
        if account is not None:
            if len(self._entries) >= constants.ACCOUNT_CACHE_MAX:
                self._entries.clear()
            self._entries[account_id] = (now + self._ttl, account)
        return account

    def forget(self, account_id: UUID) -> None:
        self._entries.pop(account_id, None)
