"""Files in agents' replies: which channels carry them, how many, whether text may go with
them, and the link a platform fetches a file from.

Each platform's send API takes files differently (CHANNELS.md, section (e)): WhatsApp,
Messenger, Instagram, Viber, LINE and Twilio fetch a file from a URL we give; Telegram and
e-mail take the bytes. A reply that a platform would refuse is refused when the agent posts it,
with the reason, never queued to fail later.
"""

from __future__ import annotations

from dataclasses import dataclass

from contactcenter.outbound.base import PUBLIC_THREADS, OutFile

__all__ = ["OutFile", "kind", "link", "refusal", "sent_as"]

MAX_FILES = 10  # e-mail, Twilio (MediaUrl), web chat and our API: up to this many per reply


@dataclass(frozen=True, slots=True)
class Rule:
    files: int  # most files in one message
    caption: int  # longest text that may go with a file (0: none)
    types: tuple[str, ...] = ()  # when only some types go: these


RULES = {
    "email": Rule(MAX_FILES, 100_000),
    "twilio-sms": Rule(MAX_FILES, 1600),
    "webchat": Rule(MAX_FILES, 4096),
    "api": Rule(MAX_FILES, 4096),
    "whatsapp": Rule(1, 1024),
    "telegram": Rule(1, 1024),
    "viber": Rule(1, 768),
    "messenger": Rule(1, 0),
    "instagram": Rule(1, 0),
    "line": Rule(1, 5000, ("image/jpeg", "image/png")),  # text: a second message, same push
}
NAMES = {"whatsapp": "WhatsApp", "twilio-sms": "SMS/MMS", "webchat": "Web chat",
         "api": "The API channel", "x": "X", "line": "LINE", "youtube": "YouTube",
         "linkedin": "LinkedIn", "email": "E-mail", "google-reviews": "Google reviews"}  # fmt: skip


def kind(mime: str) -> str:
    """The attachment kind the conversation shows: image, audio, video or document."""
    family = mime.split("/", 1)[0]
    return family if family in ("image", "audio", "video") else "document"


# The types each platform shows as a picture, sound or video; anything else goes as a file
# (a document) where the platform has one.
_AS = {
    "whatsapp": {"image": ("image/jpeg", "image/png"), "video": ("video/mp4", "video/3gpp"),
                 "audio": ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg")},
    "telegram": {"image": ("image/jpeg", "image/png", "image/webp"), "video": ("video/mp4",),
                 "audio": ("audio/mpeg", "audio/mp4")},
    "viber": {"image": ("image/jpeg", "image/png", "image/gif"), "video": ("video/mp4",)},
    "messenger": {"image": ("image/jpeg", "image/png", "image/gif"), "video": ("video/mp4",),
                  "audio": ("audio/mpeg", "audio/mp4", "audio/aac", "audio/wav")},
    "instagram": {"image": ("image/jpeg", "image/png", "image/gif"), "video": ("video/mp4",),
                  "audio": ("audio/mpeg", "audio/mp4", "audio/aac", "audio/wav")},
}  # fmt: skip


def sent_as(channel: str, mime: str) -> str:
    """How `channel` sends a file of this type: image, audio, video or document."""
    for shown, types in _AS.get(channel, {}).items():
        if mime in types:
            return shown
    return "document"


def refusal(channel: str, conversation: str, mimes: list[str], text: str) -> str | None:
    """Why this reply's files cannot go out on this channel, or None."""
    if not mimes:
        return None
    name = NAMES.get(channel, channel.capitalize())
    rule = RULES.get(channel)
    if rule is None or conversation.startswith(PUBLIC_THREADS):
        where = "public replies" if conversation.startswith(PUBLIC_THREADS) else "replies"
        return (
            f"{name} {where} cannot carry files from here. Put a link in the text instead, "
            "or attach the file to an internal note for the team."
        )
    if len(mimes) > rule.files:
        return (
            f"{name} sends {rule.files} file per message; this reply has {len(mimes)}. Send "
            "each file in its own reply."
        )
    if rule.types and any(m not in rule.types for m in mimes):
        allowed = ", ".join(rule.types)
        return f"{name} sends only these files: {allowed}. Put a link in the text instead."
    caption = _caption_limit(channel, rule, mimes[0])
    if text and caption == 0:
        return (
            f"{name} sends a file without text. Send the file alone, and the text in a "
            "reply of its own."
        )
    if len(text) > caption:
        return (
            f"{name} allows {caption} characters of text with a file; this text has "
            f"{len(text)}. Shorten it, or send it in a reply of its own."
        )
    return None


def _caption_limit(channel: str, rule: Rule, mime: str) -> int:
    if channel == "whatsapp" and sent_as(channel, mime) == "audio":
        return 0  # WhatsApp audio messages have no caption
    if channel == "viber" and sent_as(channel, mime) != "image":
        return 0  # only Viber's picture message has a description
    return rule.caption


def link(public_url: str, media_id: int, token: str) -> str:
    """The unguessable, expiring URL of a reply's file (served by api/media.py)."""
    return f"{public_url.rstrip('/')}/files/{media_id}/{token}"
