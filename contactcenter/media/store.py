"""The media store: a local directory (CC_MEDIA_DIR). Keys are random, grouped by brand and
month; a key never comes from user input, so no path can escape the directory."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from pathlib import Path


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"media key outside the store: {key!r}")
        return path

    async def put(self, brand_id: object, data: bytes) -> str:
        key = f"{brand_id}/{datetime.now(UTC):%Y/%m}/{secrets.token_hex(16)}"
        path = self._path(key)
        await asyncio.to_thread(_write, path, data)
        return key

    def path(self, key: str) -> Path:
        return self._path(key)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # readers never see half a file
