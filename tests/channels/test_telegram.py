"""Telegram receiver, pure: recorded updates → the common model; secret header."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contactcenter.channels.telegram import Telegram
from contactcenter.errors import ApiError
from contactcenter.models import ChannelAccount
from tests.helpers import fixture
from tests.world import TG_BOT_TOKEN, TG_SECRET

TG = Telegram()


@pytest.fixture
def account() -> ChannelAccount:
    return ChannelAccount.model_validate(
        {
            "id": "00000000-0000-4000-8000-000000000202",
            "brand_id": "00000000-0000-4000-8000-000000000001",
            "channel": "telegram",
            "name": "Bot",
            "queue_id": "00000000-0000-4000-8000-000000000101",
            "credentials": {"bot_token": TG_BOT_TOKEN, "secret_token": TG_SECRET},
            "created_at": datetime.now(UTC),
            "disabled_at": None,
        }
    )


def test_text_update(account: ChannelAccount) -> None:
    """chat id + message id form the dedup key; name, username and language are kept."""
    [msg] = TG.parse(account, fixture("telegram/text.json")).messages
    assert msg.platform_message_id == "23:1" and msg.conversation_id == "23"
    assert (msg.sender_id, msg.sender_name, msg.sender_username, msg.language) == (
        "23",
        "Sojan Jose",
        "sojan",
        "en",
    )
    assert msg.sent_at == datetime.fromtimestamp(1631132077, UTC) and msg.text == "test"


def test_photo_takes_largest_size_and_caption(account: ChannelAccount) -> None:
    """photo[] lists sizes smallest first: the last one is kept; caption is the text."""
    [msg] = TG.parse(account, fixture("telegram/photo.json")).messages
    assert msg.kind == "image" and msg.text == "Das Paket war beschädigt"
    assert [a.platform_media_id for a in msg.attachments] == ["AgAC-large"]
    assert msg.reply_to == "23:1"


def test_voice_note(account: ChannelAccount) -> None:
    [msg] = TG.parse(account, fixture("telegram/voice.json")).messages
    assert msg.kind == "voice" and msg.attachments[0].mime_type == "audio/ogg" and msg.text is None


def test_edited_message_is_ignored(account: ChannelAccount) -> None:
    """Update types other than `message` are reported as ignored."""
    batch = TG.parse(account, fixture("telegram/edited.json"))
    assert batch.messages == [] and batch.ignored == ["update:edited_message"]


def test_own_bot_message_is_an_echo(account: ChannelAccount) -> None:
    batch = TG.parse(account, fixture("telegram/bot_echo.json"))
    assert batch.messages == [] and batch.echoes == 1


def test_secret_token_header(account: ChannelAccount) -> None:
    """The header must equal secret_token; missing or different is a 401."""
    TG.verify(account, {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}, b"{}")
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET + "x"}):
        with pytest.raises(ApiError) as err:
            TG.verify(account, headers, b"{}")
        assert err.value.status == 401


def test_no_handshake(account: ChannelAccount) -> None:
    with pytest.raises(ApiError) as err:
        TG.handshake(account, {})
    assert err.value.status == 405 and "setWebhook" in err.value.message


@pytest.mark.parametrize(
    ("code", "expected"),
    [("pt-br", "pt"), ("en", "en"), ("zh-hans", "zh"), ("fil", None), ("", None)],
)
def test_language_tags_become_iso_639_1(
    account: ChannelAccount, code: str, expected: str | None
) -> None:
    """Routing matches agents' two-letter codes: 'pt-br' must still find Portuguese speakers."""
    body = fixture("telegram/text.json").replace(
        b'"language_code": "en"', f'"language_code": "{code}"'.encode()
    )
    [msg] = TG.parse(account, body).messages
    assert msg.language == expected


def test_out_of_range_ids_and_dates_are_400(account: ChannelAccount) -> None:
    for old, new in (
        (b'"date": 1631132077', b'"date": 100000000000000'),
        (b'"id": 23,', b'"id": 99999999999999999999999,'),
    ):
        with pytest.raises(ApiError) as err:
            TG.parse(account, fixture("telegram/text.json").replace(old, new, 1))
        assert err.value.status == 400
