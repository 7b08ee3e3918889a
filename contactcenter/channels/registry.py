"""Channel name (the `{channel}` in webhook URLs) → its receiver."""

from __future__ import annotations

from contactcenter.channels.api import Api
from contactcenter.channels.base import Channel
from contactcenter.channels.email import Email
from contactcenter.channels.flickr import Flickr
from contactcenter.channels.google_reviews import GoogleReviews
from contactcenter.channels.line import Line
from contactcenter.channels.linkedin import LinkedIn
from contactcenter.channels.meta_messaging import Facebook, Instagram, Messenger
from contactcenter.channels.slack import Slack
from contactcenter.channels.telegram import Telegram
from contactcenter.channels.twilio_sms import TwilioSms
from contactcenter.channels.twilio_voice import TwilioVoice
from contactcenter.channels.viber import Viber
from contactcenter.channels.webchat import Webchat
from contactcenter.channels.whatsapp import WhatsApp
from contactcenter.channels.x import X
from contactcenter.channels.youtube import YouTube
from contactcenter.errors import ApiError, ErrorCode

CHANNELS: dict[str, Channel] = {
    c.name: c
    for c in (
        WhatsApp(),
        Telegram(),
        Messenger(),
        Instagram(),
        TwilioSms(),
        Line(),
        Viber(),
        Api(),
        Webchat(),
        Email(),
        X(),
        Facebook(),
        TwilioVoice(),
        YouTube(),
        LinkedIn(),
        GoogleReviews(),
        Flickr(),
        Slack(),
    )
}

# Channel kind decides which capacity a ticket uses (routing): voice, chat, social or email.
KIND: dict[str, str] = {"whatsapp": "chat", "telegram": "chat", "messenger": "chat",
                        "instagram": "chat", "twilio-sms": "chat", "line": "chat",
                        "viber": "chat", "api": "chat", "webchat": "chat",
                        "email": "email", "x": "social",
                        "facebook": "social", "twilio-voice": "voice",
                        "youtube": "social", "linkedin": "social",
                        "google-reviews": "social", "flickr": "social",
                        "slack": "chat"}  # fmt: skip


def get_channel(name: str) -> Channel:
    try:
        return CHANNELS[name]
    except KeyError:
        known = ", ".join(sorted(CHANNELS))
        raise ApiError(
            ErrorCode.UNKNOWN_CHANNEL, f"Unknown channel {name!r}. Supported channels: {known}."
        ) from None
