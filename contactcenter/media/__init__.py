"""Inbound media: fetched from the platforms into our store, served to agents with auth."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def new_key(brand_id: object) -> str:
    """A fresh storage key: random, grouped by brand and month, never from user input."""
    return f"{brand_id}/{datetime.now(UTC):%Y/%m}/{secrets.token_hex(16)}"
