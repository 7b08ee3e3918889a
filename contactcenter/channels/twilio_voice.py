"""Twilio Voice (CHANNELS.md §10): an incoming call is a ticket; the caller waits in a Twilio
queue (<Enqueue>) while the router finds an agent. The call flow is served by
contactcenter/api/voice.py; this class describes the account and refuses /webhooks/ calls."""

from __future__ import annotations

from collections.abc import Mapping

from contactcenter.channels.base import InboundBatch
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount

USE_VOICE = "Set the number's 'A call comes in' webhook to /voice/{account_id}/incoming (POST)."


class TwilioVoice:
    name = "twilio-voice"
    # account_sid, auth_token (signatures); max_wait_s (optional, default 120): then voicemail
    required_credentials: tuple[str, ...] = ("account_sid", "auth_token")

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        raise ApiError(ErrorCode.METHOD_NOT_ALLOWED, USE_VOICE)

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        raise ApiError(ErrorCode.METHOD_NOT_ALLOWED, USE_VOICE)

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        raise ApiError(ErrorCode.METHOD_NOT_ALLOWED, USE_VOICE)
