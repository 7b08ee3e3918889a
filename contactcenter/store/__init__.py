"""Typed async functions over named SQL in `sql/queries/`. asyncpg records never leave here."""
