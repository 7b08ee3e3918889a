"""Replies and notes with files: a multipart/form-data POST with one `text` field and up to ten
`file` parts. Read within the media limits (CC_MEDIA_MAX_BYTES for all files of one post
together, CC_MEDIA_TYPES), before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from contactcenter.errors import ApiError, ErrorCode
from contactcenter.media.fetch import Limits
from contactcenter.outbound.files import MAX_FILES

MAX_TEXT = 4096
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/]+")
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    mime_type: str
    data: bytes


async def read_post(request: web.Request, limits: Limits) -> tuple[str, list[Upload]]:
    """The text and files of a multipart post; 400/413/415 with the reason otherwise."""
    try:
        return await _read_parts(request, limits)
    except (HttpProcessingError, ValueError, AssertionError, KeyError) as exc:
        raise ApiError(ErrorCode.BAD_REQUEST, f"The multipart body cannot be read: {exc}.") from exc


async def _read_parts(request: web.Request, limits: Limits) -> tuple[str, list[Upload]]:
    reader = await request.multipart()
    text: str | None = None
    files: list[Upload] = []
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ApiError(ErrorCode.BAD_REQUEST, "Nested multipart bodies are not accepted.")
        if part.name == "text":
            if text is not None:
                raise ApiError(ErrorCode.VALIDATION_FAILED, "Send one `text` field, not several.")
            too_long = f"The text is longer than {MAX_TEXT} characters; shorten it."
            text = (await _read(part, MAX_TEXT * 4, too_long)).decode(errors="replace").strip()
            if len(text) > MAX_TEXT:
                raise ApiError(ErrorCode.VALIDATION_FAILED, too_long)
        elif part.name == "file":
            if len(files) == MAX_FILES:
                many = f"At most {MAX_FILES} files per message."
                raise ApiError(ErrorCode.VALIDATION_FAILED, many)
            room = limits.max_bytes - sum(len(f.data) for f in files)
            files.append(await _file(part, limits, room))
        else:
            unknown = f"Unknown field {part.name!r}; send `text` and `file` parts."
            raise ApiError(ErrorCode.VALIDATION_FAILED, unknown)
    if not text and not files:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "Send a text, a file, or both.")
    return text or "", files


async def _file(part: BodyPartReader, limits: Limits, room: int) -> Upload:
    name = safe_name(part.filename or "")
    if not name:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "Every `file` part needs a filename.")
    mime = (part.headers.get("Content-Type") or "application/octet-stream").split(";")[0]
    mime = mime.strip().lower()
    if not _MIME.fullmatch(mime) or not limits.allows(mime):
        raise ApiError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"{name} is {mime[:80]!r}, which is not accepted. Allowed: "
            f"{', '.join(limits.types)} (CC_MEDIA_TYPES).",
        )
    data = await _read(part, room, too_large(limits.max_bytes).message)
    if not data:
        raise ApiError(ErrorCode.VALIDATION_FAILED, f"{name} is empty.")
    return Upload(name, mime, data)


async def _read(part: BodyPartReader, room: int, too_big: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(256 * 1024):
        size += len(chunk)
        if size > room:
            raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, too_big)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(limit: int) -> ApiError:
    return ApiError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The files of one message may be {limit} bytes together (CC_MEDIA_MAX_BYTES); send "
        "fewer or smaller files.",
    )


def safe_name(name: str) -> str:
    """The file's own name, without any path, quotes or control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE.sub("_", name).strip(" ._")[:200]
