"""Twilio Voice (CHANNELS.md §10): an incoming call is a ticket; the caller waits in a Twilio
queue (<Enqueue>) while the router finds an agent. The call flow is served by
contactcenter/api/voice.py; this class describes the account and refuses /webhooks/ calls."""

from __future__ import annotations

from contactcenter.channels.base import NotByWebhook

USE_VOICE = "Set the number's 'A call comes in' webhook to /voice/{account_id}/incoming (POST)."


class TwilioVoice(NotByWebhook):
    name = "twilio-voice"
    # account_sid, auth_token (signatures); max_wait_s (optional, default 120): then voicemail
    required_credentials: tuple[str, ...] = ("account_sid", "auth_token")

    refusal = USE_VOICE
