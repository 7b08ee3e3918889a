"""Telegram Bot API receiver (CHANNELS.md §6).

No handshake (the bot registers the URL with setWebhook). Auth: the header
X-Telegram-Bot-Api-Secret-Token equals the secret_token given to setWebhook. One Update per POST.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contactcenter.channels.base import (
    Attachment,
    InboundBatch,
    InboundMessage,
    bad_signature,
    clean_text,
    constant_time_equal,
    from_unix,
    malformed,
    not_allowed,
    primary_language,
    without_nul,
)
from contactcenter.models import ChannelAccount

FILE_KINDS = ("document", "audio", "voice", "video", "video_note", "animation", "sticker")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


BigInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]  # Telegram ids fit in 64 bits


class User(_Model):
    id: BigInt
    is_bot: bool = False
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class Chat(_Model):
    id: BigInt
    type: str


class PhotoSize(_Model):
    file_id: str
    file_size: int | None = None


class File(_Model):
    file_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None


class ReplyRef(_Model):
    message_id: BigInt


class Message(_Model):
    message_id: BigInt
    date: BigInt
    chat: Chat
    from_: User | None = Field(default=None, alias="from")
    text: str | None = None
    caption: str | None = None
    photo: list[PhotoSize] | None = None
    document: File | None = None
    audio: File | None = None
    voice: File | None = None
    video: File | None = None
    video_note: File | None = None
    animation: File | None = None
    sticker: File | None = None
    reply_to_message: ReplyRef | None = None


class Update(_Model):
    model_config = ConfigDict(extra="allow")
    update_id: int
    message: Message | None = None


class Telegram:
    name = "telegram"
    required_credentials: tuple[str, ...] = ("bot_token", "secret_token")

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        raise not_allowed(
            "Telegram has no verification handshake. Register this URL with the Bot API's "
            "setWebhook (url + secret_token); Telegram then POSTs updates here.",
        )

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        given = headers.get("X-Telegram-Bot-Api-Secret-Token")
        if not given:
            raise bad_signature(
                "Missing X-Telegram-Bot-Api-Secret-Token header. Call setWebhook with the "
                "account's secret_token so Telegram sends it."
            )
        if not constant_time_equal(given, str(account.credentials.get("secret_token", ""))):
            raise bad_signature(
                "X-Telegram-Bot-Api-Secret-Token does not match this account's secret_token."
            )

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        try:
            update = Update.model_validate_json(without_nul(body))
            batch = InboundBatch()
            msg = update.message
            if msg is None:
                kinds = [k for k in (update.model_extra or {}) if k != "update_id"]
                batch.ignored.append(f"update:{kinds[0] if kinds else 'empty'}")
            elif msg.from_ is None:
                batch.ignored.append("message_without_sender")
            elif str(msg.from_.id) == _bot_id(account):
                batch.echoes += 1
            else:
                batch.messages.append(_message(msg, msg.from_))
        except (ValidationError, ValueError, OverflowError) as exc:
            raise malformed(self.name, exc) from exc
        return batch


def _bot_id(account: ChannelAccount) -> str:
    """The numeric bot id is the part of the bot token before the colon."""
    return str(account.credentials.get("bot_token", "")).partition(":")[0]


def _message(msg: Message, sender: User) -> InboundMessage:
    attachments: list[Attachment] = []
    kind = "text"
    if msg.photo:
        largest = msg.photo[-1]  # Telegram lists sizes smallest first
        attachments.append(
            Attachment("image", largest.file_id, "image/jpeg", None, largest.file_size)
        )
        kind = "image"
    for name in FILE_KINDS:
        file: File | None = getattr(msg, name)
        if file is not None:
            attachments.append(
                Attachment(name, file.file_id, file.mime_type, file.file_name, file.file_size)
            )
            kind = name
    full_name = " ".join(p for p in (sender.first_name, sender.last_name) if p)
    return InboundMessage(
        # update_id changes on redelivery via getUpdates; (chat, message_id) never does.
        platform_message_id=f"{msg.chat.id}:{msg.message_id}",
        conversation_id=str(msg.chat.id),
        sender_id=str(sender.id),
        sender_name=full_name or (sender.username or ""),
        sender_username=sender.username,
        sent_at=from_unix(msg.date),
        kind=kind,
        text=clean_text(msg.text if msg.text is not None else msg.caption),
        attachments=tuple(attachments),
        reply_to=f"{msg.chat.id}:{msg.reply_to_message.message_id}"
        if msg.reply_to_message
        else None,
        language=primary_language(sender.language_code),
    )
