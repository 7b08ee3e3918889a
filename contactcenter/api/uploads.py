"""Replies and notes with files: a multipart/form-data POST with a `text` field and up to ten
`file` parts. Read within the media limits (CC_MEDIA_MAX_BYTES for all files of one post
together, CC_MEDIA_TYPES), before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiohttp import BodyPartReader, web

from contactcenter.errors import ApiError, ErrorCode
from contactcenter.media.fetch import Limits
from contactcenter.outbound.files import MAX_FILES

MAX_TEXT = 4096
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/]+")


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    mime_type: str
    data: bytes


async def read_post(request: web.Request, limits: Limits) -> tuple[str, list[Upload]]:
    """The text and files of a multipart post; 400/413/415 with the reason otherwise."""
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError) as exc:
        raise ApiError(ErrorCode.BAD_REQUEST, f"The multipart body cannot be read: {exc}.") from exc
    text, total = "", 0
    files: list[Upload] = []
    while True:
        try:
            part = await reader.next()
        except ValueError as exc:
            raise ApiError(ErrorCode.BAD_REQUEST, f"Broken multipart body: {exc}.") from exc
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise ApiError(ErrorCode.BAD_REQUEST, "Nested multipart bodies are not accepted.")
        if part.name == "text":
            too_long = f"The text is longer than {MAX_TEXT} characters; shorten it."
            raw = await _read(part, MAX_TEXT * 4, too_long)
            text = raw.decode("utf-8", errors="replace").strip()
            if len(text) > MAX_TEXT:
                raise ApiError(ErrorCode.VALIDATION_FAILED, too_long)
        elif part.name == "file":
            if len(files) == MAX_FILES:
                raise ApiError(ErrorCode.VALIDATION_FAILED,
                               f"At most {MAX_FILES} files per message.")  # fmt: skip
            upload = await _file(part, limits, limits.max_bytes - total)
            total += len(upload.data)
            files.append(upload)
        else:
            unknown = f"Unknown field {part.name!r}; send `text` and `file` parts."
            raise ApiError(ErrorCode.VALIDATION_FAILED, unknown)
    if not text and not files:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "Send a text, a file, or both.")
    return text, files


async def _file(part: BodyPartReader, limits: Limits, room: int) -> Upload:
    name = safe_name(part.filename or "")
    if not name:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "Every `file` part needs a filename.")
    mime = (part.headers.get("Content-Type") or "application/octet-stream").split(";")[0]
    mime = mime.strip().lower()
    if not limits.allows(mime):
        raise ApiError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"{name} is {mime}, which is not accepted. Allowed: {', '.join(limits.types)} "
            "(CC_MEDIA_TYPES).",
        )
    data = await _read(
        part,
        room,
        f"The files of one message are larger than {limits.max_bytes} "
        "bytes together (CC_MEDIA_MAX_BYTES); send fewer or smaller files.",
    )
    if not data:
        raise ApiError(ErrorCode.VALIDATION_FAILED, f"{name} is empty.")
    return Upload(name, mime, data)


async def _read(part: BodyPartReader, room: int, too_large: str) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(256 * 1024):
        data += chunk
        if len(data) > room:
            raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, too_large)
    return bytes(data)


def safe_name(name: str) -> str:
    """The file's own name, without any path, quotes or control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE.sub("_", name).strip(" ._")[:200]
