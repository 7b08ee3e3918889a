"""Forward-only migrations: `sql/migrations/NNNN_name.sql`, each applied once, in order.

Safe when several processes start at once: the runner holds a PostgreSQL advisory lock, so the
second process waits and then finds nothing left to apply.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg

from contactcenter.store.queries import sql_dir

# Arbitrary, fixed: the advisory lock key that serialises migration runs on one database.
MIGRATION_LOCK_KEY = 7_238_114_501


def migration_files() -> list[Path]:
    files = sorted((sql_dir() / "migrations").glob("[0-9][0-9][0-9][0-9]_*.sql"))
    if not files:
        raise FileNotFoundError(f"no migrations found in {sql_dir() / 'migrations'}")
    return files


async def migrate(dsn: str) -> list[str]:
    """Apply every migration not yet recorded in schema_migrations; return the versions applied."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            return await _apply_pending(conn)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        await conn.close()


async def _apply_pending(conn: asyncpg.Connection) -> list[str]:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
    applied: list[str] = []
    for path in migration_files():
        version = path.stem
        if version in done:
            continue
        async with conn.transaction():
            await conn.execute(path.read_text(encoding="utf-8"))
            await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
        applied.append(version)
    return applied
