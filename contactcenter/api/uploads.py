"""Posts with files: a multipart/form-data body with one `text` field (and whatever other
fields the endpoint names, once each) and up to ten `file` parts — agents' replies and notes,
web chat visitors' messages. Read within limits (all files of one post together; the types of
CC_MEDIA_TYPES), before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from contactcenter.errors import ApiError, ErrorCode
from contactcenter.media.fetch import Limits
from contactcenter.outbound.files import MAX_FILES

MAX_TEXT = 4096
SLACK_BYTES = 256 * 1024  # multipart framing and the fields, beyond the files' own limit
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/]+")
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    mime_type: str
    data: bytes


async def read_post(request: web.Request, limits: Limits) -> tuple[str, list[Upload]]:
    """The text and files of a multipart post; 400/413/415 with the reason otherwise."""
    fields, files = await read_form(request, limits, ("text",))
    return fields.get("text", ""), files


async def read_form(
    request: web.Request, limits: Limits, names: tuple[str, ...],
    setting: str = "CC_MEDIA_MAX_BYTES",
) -> tuple[dict[str, str], list[Upload]]:  # fmt: skip
    """The fields `names` (each at most once) and the files; text or a file must be there.
    `setting`: where the files' limit is configured (named when it is exceeded). A body whose
    declared length is past the limit is refused unread."""
    if (request.content_length or 0) > limits.max_bytes + SLACK_BYTES:
        raise too_large(limits.max_bytes, setting)
    try:
        return await _read_parts(request, limits, names, setting)
    except (HttpProcessingError, ValueError, AssertionError, KeyError) as exc:
        raise ApiError(ErrorCode.BAD_REQUEST, f"The multipart body cannot be read: {exc}.") from exc


async def _read_parts(
    request: web.Request, limits: Limits, names: tuple[str, ...], setting: str
) -> tuple[dict[str, str], list[Upload]]:
    reader = await request.multipart()
    fields: dict[str, str] = {}
    files: list[Upload] = []
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ApiError(ErrorCode.BAD_REQUEST, "Nested multipart bodies are not accepted.")
        if part.name in names:
            if part.name in fields:
                twice = f"Send one `{part.name}` field, not several."
                raise ApiError(ErrorCode.VALIDATION_FAILED, twice)
            too_long = f"The {part.name} is longer than {MAX_TEXT} characters; shorten it."
            value = (await _read(part, MAX_TEXT * 4, too_long)).decode(errors="replace").strip()
            if len(value) > MAX_TEXT:
                raise ApiError(ErrorCode.VALIDATION_FAILED, too_long)
            fields[part.name] = value
        elif part.name == "file":
            if len(files) == MAX_FILES:
                many = f"At most {MAX_FILES} files per message."
                raise ApiError(ErrorCode.VALIDATION_FAILED, many)
            room = limits.max_bytes - sum(len(f.data) for f in files)
            files.append(await _file(part, limits, room, setting))
        else:
            known = ", ".join(f"`{n}`" for n in (*names, "file"))
            unknown = f"Unknown field {part.name!r}; send {known} parts."
            raise ApiError(ErrorCode.VALIDATION_FAILED, unknown)
    if not fields.get("text") and not files:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "Send a text, a file, or both.")
    return fields, files


async def _file(part: BodyPartReader, limits: Limits, room: int, setting: str) -> Upload:
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
    data = await _read(part, room, too_large(limits.max_bytes, setting).message)
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


def too_large(limit: int, setting: str = "CC_MEDIA_MAX_BYTES") -> ApiError:
    return ApiError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The files of one message may be {limit} bytes together ({setting}); send fewer or "
        "smaller files.",
    )


def safe_name(name: str) -> str:
    """The file's own name, without any path, quotes or control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE.sub("_", name).strip(" ._")[:200]
