"""The media store: a local directory (CC_MEDIA_DIR) by default, or an S3-compatible bucket
when CC_MEDIA_S3_BUCKET is set. Keys are random, grouped by brand and month; a key never comes
from user input, so no path can escape the directory."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from contactcenter.media import new_key
from contactcenter.media.s3 import S3Store
from contactcenter.settings import Settings


class MediaStore(Protocol):
    async def put(self, brand_id: object, data: bytes, mime: str | None = None) -> str: ...

    async def get(self, key: str) -> bytes: ...  # FileNotFoundError when it is not there

    async def delete(self, key: str) -> None: ...


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"media key outside the store: {key!r}")
        return path

    async def put(self, brand_id: object, data: bytes, mime: str | None = None) -> str:
        key = new_key(brand_id)
        await asyncio.to_thread(_write, self._path(key), data)
        return key

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    def path(self, key: str) -> Path:
        return self._path(key)


def make_store(settings: Settings) -> LocalStore | S3Store:
    if settings.media_s3_bucket is None:
        return LocalStore(settings.media_dir)
    secret = settings.media_s3_secret_key  # Settings refuse a bucket without both keys
    return S3Store(
        settings.media_s3_endpoint, settings.media_s3_bucket, settings.media_s3_access_key or "",
        secret.get_secret_value() if secret else "", settings.media_s3_region,
    )  # fmt: skip


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # readers never see half a file
