"""Named SQL: `sql/queries/<noun>.sql`, each statement introduced by `-- name: function_name`.

`q("tickets.get_ticket")` returns the statement text. Store modules look their statements up at
import time, so a renamed or missing query fails the first import, not the first request.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


def sql_dir() -> Path:
    """The repository's `sql/` folder (override with CC_SQL_DIR for unusual installs)."""
    override = os.environ.get("CC_SQL_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "sql"


def parse(text: str) -> dict[str, str]:
    """Split one query file into {name: statement}."""
    parts = _NAME.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"query {name!r} is defined twice")
        queries[name] = body.strip().rstrip(";")
    return queries


@cache
def _load() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((sql_dir() / "queries").glob("*.sql")):
        for name, body in parse(path.read_text(encoding="utf-8")).items():
            found[f"{path.stem}.{name}"] = body
    return found


def q(name: str) -> str:
    """The statement called `noun.function_name`; KeyError names the file to fix."""
    try:
        return _load()[name]
    except KeyError:
        noun, _, fn = name.partition(".")
        raise KeyError(f"no '-- name: {fn}' in sql/queries/{noun}.sql") from None
