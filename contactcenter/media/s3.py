"""S3-compatible media store (AWS S3, MinIO, Ceph, R2, …): PUT and GET of objects with AWS
Signature Version 4, path-style URLs. Checked against AWS's published GET Object example."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import aiohttp

from contactcenter.media import new_key

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
TIMEOUT = aiohttp.ClientTimeout(total=60)  # well inside the media worker's 10-minute lease


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.digest(key, text.encode(), hashlib.sha256)


def sign(
    method: str,
    url: str,
    headers: dict[str, str],
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    region: str,
    now: datetime,
) -> dict[str, str]:
    """The headers to send: `headers` plus host, x-amz-date, x-amz-content-sha256 and the
    Authorization of SigV4 (service s3)."""
    parts = urlsplit(url)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    all_headers = {k.lower(): v.strip() for k, v in headers.items()} | {
        "host": parts.netloc,
        "x-amz-date": stamp,
        "x-amz-content-sha256": payload_sha256,
    }
    names = sorted(all_headers)
    canonical = "\n".join(
        [
            method.upper(),
            quote(parts.path or "/", safe="/~"),
            parts.query,
            "".join(f"{n}:{all_headers[n]}\n" for n in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(
        _hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), "s3"), "aws4_request"
    )
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    auth = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return {k: v for k, v in all_headers.items() if k != "host"} | {"Authorization": auth}


@dataclass(frozen=True, slots=True)
class S3Store:
    endpoint: str  # e.g. https://s3.eu-central-1.amazonaws.com or http://minio:9000
    bucket: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def _url(self, key: str) -> str:
        return f"{self.endpoint.rstrip('/')}/{self.bucket}/{key}"

    def _signed(
        self, method: str, url: str, extra: dict[str, str] | None = None, digest: str = ""
    ) -> dict[str, str]:
        """Signature Version 4 headers for one request (`digest`: the payload's SHA-256)."""
        return sign(method, url, extra or {}, digest or EMPTY_SHA256, self.access_key,
                    self.secret_key, self.region, datetime.now(UTC))  # fmt: skip

    async def put(self, brand_id: object, data: bytes, mime: str | None = None) -> str:
        key = new_key(brand_id)
        url = self._url(key)
        content_type = {"content-type": mime or "application/octet-stream"}
        headers = self._signed("PUT", url, content_type, hashlib.sha256(data).hexdigest())
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as http,
            http.put(url, data=data, headers=headers) as resp,
        ):
            if resp.status >= 300:
                raise OSError(f"S3 PUT answered {resp.status}: {(await resp.text())[:200]}")
        return key

    async def get(self, key: str) -> bytes:
        url = self._url(key)
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as http,
            http.get(url, headers=self._signed("GET", url)) as resp,
        ):
            if resp.status == 404:
                raise FileNotFoundError(f"S3 has no object {key}")
            if resp.status >= 300:
                raise OSError(f"S3 GET answered {resp.status}")
            return await resp.read()

    async def delete(self, key: str) -> None:
        url = self._url(key)
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as http,
            http.delete(url, headers=self._signed("DELETE", url)) as resp,
        ):
            if resp.status >= 300 and resp.status != 404:
                raise OSError(f"S3 DELETE answered {resp.status}")
