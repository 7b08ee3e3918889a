"""Migrations: applied once, in order, also when several processes start at the same time."""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from contactcenter.store.migrations import migrate, migration_files
from contactcenter.store.queries import _load, parse


async def test_concurrent_migrate_applies_each_file_once(server_urls: tuple[str, str]) -> None:
    """Four migrators racing on an empty database: one applies everything, the rest find nothing."""
    admin_url = server_urls[0]
    name = f"cc_mig_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    try:
        results = await asyncio.gather(*(migrate(url) for _ in range(4)))
        expected = [p.stem for p in migration_files()]
        assert sorted(results, key=len) == [[], [], [], expected]
        conn = await asyncpg.connect(url)
        try:
            recorded = [
                r["version"]
                for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")
            ]
            assert recorded == expected
            assert await migrate(url) == []
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def test_every_named_query_parses_and_names_are_unique() -> None:
    """All sql/queries files split into named statements; a duplicate name is refused."""
    queries = _load()
    assert "ingest.ingest_messages" in queries and all(q.strip() for q in queries.values())
    with pytest.raises(ValueError, match="twice"):
        parse("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;")
