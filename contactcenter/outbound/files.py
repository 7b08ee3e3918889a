"""Files in agents' replies: which channels carry them, how many, of which types and sizes,
whether text may go with them, and the link a platform fetches a file from.

Each platform's send API takes files differently (CHANNELS.md, section (e)): WhatsApp,
Messenger, Instagram, Viber, LINE and Twilio fetch a file from a URL we give; Telegram, Slack,
X (DMs) and e-mail take the bytes. A reply that a platform would refuse is refused when the
agent posts it, with the reason, never queued to fail later. The limits are the platforms'
documented ones.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from urllib.parse import quote

from contactcenter.outbound.base import PUBLIC_THREADS, OutFile

__all__ = ["OutFile", "kind", "link", "refusal", "rule_key", "sent_as"]

MAX_FILES = 10  # e-mail, Twilio (MediaUrl), web chat and our API: up to this many per reply
MB = 1024 * 1024
ANY = ("*",)


@dataclass(frozen=True, slots=True)
class As:
    """How a platform sends one kind of file."""

    types: tuple[str, ...]  # the MIME types it takes this way ("*": any)
    max_bytes: int
    caption: int  # longest text that may go with it (0: none)


@dataclass(frozen=True, slots=True)
class Rule:
    files: int  # most files in one message
    kinds: dict[str, As]  # image, video, audio, document: the first that takes a type wins
    total: int | None = None  # most bytes of all files together


_VIDEO_IG = ("video/mp4", "video/ogg", "video/x-msvideo", "video/quicktime", "video/webm")
RULES = {
    "email": Rule(MAX_FILES, {"document": As(ANY, 25 * MB, 100_000)}),
    "webchat": Rule(MAX_FILES, {"document": As(ANY, 25 * MB, 4096)}),
    "api": Rule(MAX_FILES, {"document": As(ANY, 25 * MB, 4096)}),
    "slack": Rule(MAX_FILES, {"document": As(ANY, 1024 * MB, 4000)}),  # one share, all files
    "twilio-sms": Rule(MAX_FILES, {"document": As(ANY, 5 * MB, 1600)}, total=5 * MB),
    "twilio-whatsapp": Rule(1, {"image": As(("image/jpeg", "image/png"), 5 * MB, 1600),
                                "document": As(ANY, 16 * MB, 1600)}),
    "whatsapp": Rule(1, {
        "image": As(("image/jpeg", "image/png"), 5 * MB, 1024),
        "video": As(("video/mp4", "video/3gpp"), 16 * MB, 1024),
        "audio": As(("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"), 16 * MB, 0),
        "document": As(ANY, 100 * MB, 1024),
    }),
    "telegram": Rule(1, {
        "image": As(("image/jpeg", "image/png", "image/webp"), 10 * MB, 1024),
        "video": As(("video/mp4",), 50 * MB, 1024),
        "audio": As(("audio/mpeg", "audio/mp4"), 50 * MB, 1024),
        "document": As(ANY, 50 * MB, 1024),
    }),
    "viber": Rule(1, {
        "image": As(("image/jpeg", "image/png", "image/gif"), 1 * MB, 768),
        "video": As(("video/mp4",), 26 * MB, 0),
        "document": As(ANY, 50 * MB, 0),
    }),
    "messenger": Rule(1, {
        "image": As(("image/jpeg", "image/png", "image/gif"), 25 * MB, 0),
        "video": As(("video/mp4",), 25 * MB, 0),
        "audio": As(("audio/mpeg", "audio/mp4", "audio/aac", "audio/wav"), 25 * MB, 0),
        "document": As(ANY, 25 * MB, 0),
    }),
    "instagram": Rule(1, {
        "image": As(("image/jpeg", "image/png"), 8 * MB, 0),
        "video": As(_VIDEO_IG, 25 * MB, 0),
        "audio": As(("audio/aac", "audio/mp4", "audio/wav", "audio/x-wav"), 25 * MB, 0),
        "document": As(("application/pdf",), 25 * MB, 0),
    }),
    # LINE's preview image may be 1 MB; text goes as a second message in the same push
    "line": Rule(1, {"image": As(("image/jpeg", "image/png"), 1 * MB, 5000)}),
    # X DMs: one picture, uploaded first (dm_image); videos and GIFs need X's chunked upload
    "x": Rule(1, {"image": As(("image/jpeg", "image/png", "image/webp"), 5 * MB, 10_000)}),
}  # fmt: skip
NAMES = {"whatsapp": "WhatsApp", "twilio-sms": "SMS/MMS", "webchat": "Web chat",
         "api": "The API channel", "x": "X", "line": "LINE", "youtube": "YouTube",
         "linkedin": "LinkedIn", "email": "E-mail", "google-reviews": "Google reviews",
         "twilio-whatsapp": "WhatsApp through Twilio"}  # fmt: skip


def rule_key(channel: str, credentials: dict[str, str]) -> str:
    """The channel's rules; Twilio numbers that send WhatsApp follow WhatsApp's."""
    if channel == "twilio-sms" and credentials.get("from_number", "").startswith("whatsapp:"):
        return "twilio-whatsapp"
    return channel


def kind(mime: str) -> str:
    """The attachment kind the conversation shows: image, audio, video or document."""
    family = mime.split("/", 1)[0]
    return family if family in ("image", "audio", "video") else "document"


def sent_as(channel: str, mime: str) -> str | None:
    """How `channel` sends a file of this type (image, audio, video, document), or None."""
    rule = RULES.get(channel)
    for shown, way in (rule.kinds if rule else {}).items():
        if mime in way.types or way.types == ANY:
            return shown
    return None


def refusal(
    channel: str, conversation: str, files: list[tuple[str, str, int]], text: str
) -> str | None:
    """Why this reply's files (name, MIME type, size) cannot go out on this channel, or None."""
    if not files:
        return None
    name = NAMES.get(channel, channel.capitalize())
    rule = RULES.get(channel)
    if rule is None or conversation.startswith(PUBLIC_THREADS):
        where = "public replies" if conversation.startswith(PUBLIC_THREADS) else "replies"
        return (
            f"{name} {where} cannot carry files from here. Put a link in the text instead, "
            "or attach the file to an internal note for the team."
        )
    if len(files) > rule.files:
        return (
            f"{name} sends {rule.files} file per message; this reply has {len(files)}. Send "
            "each file in its own reply."
        )
    caption = 100_000
    for file_name, mime, size in files:
        shown = sent_as(channel, mime)
        if shown is None:
            takes = ", ".join(t for way in rule.kinds.values() for t in way.types)
            return f"{name} does not take {mime} files ({file_name}); it takes {takes}."
        way = rule.kinds[shown]
        if size > way.max_bytes:
            return (
                f"{file_name} is {size / MB:.1f} MB; {name} takes {_noun(shown)} up to "
                f"{way.max_bytes // MB} MB. Send a smaller file or a link."
            )
        caption = min(caption, way.caption)
    if rule.total is not None and sum(f[2] for f in files) > rule.total:
        return f"{name} takes {rule.total // MB} MB of files per message in all; send fewer."
    if text and caption == 0:
        return (
            f"{name} sends this file without text. Send the file alone, and the text in a "
            "reply of its own."
        )
    if len(text) > caption:
        return (
            f"{name} allows {caption} characters of text with a file; this text has "
            f"{len(text)}. Shorten it, or send it in a reply of its own."
        )
    return None


def _noun(shown: str) -> str:
    return {"image": "pictures", "video": "videos", "audio": "sound files"}.get(shown, "files")


def link(public_url: str, media_id: int, token: str, name: str, mime: str) -> str:
    """The unguessable, expiring URL of a reply's file (served by api/media.py). It ends in
    the file's name with an extension that fits its type: Viber wants one, and people see it."""
    if "." not in name.strip(".") and (extension := mimetypes.guess_extension(mime)):
        name += extension
    return f"{public_url.rstrip('/')}/files/{media_id}/{token}/{quote(name)}"
