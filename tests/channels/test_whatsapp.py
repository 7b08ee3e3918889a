"""WhatsApp receiver, pure: recorded payloads → the common model; handshake; signatures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contactcenter.channels.whatsapp import WhatsApp
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount
from contactcenter.simulate import whatsapp_signature
from tests.helpers import fixture
from tests.world import WA_PHONE_ID, WA_SECRET, WA_VERIFY

WA = WhatsApp()


@pytest.fixture
def account() -> ChannelAccount:
    return ChannelAccount.model_validate(
        {
            "id": "00000000-0000-4000-8000-000000000201",
            "brand_id": "00000000-0000-4000-8000-000000000001",
            "channel": "whatsapp",
            "name": "WA",
            "queue_id": "00000000-0000-4000-8000-000000000101",
            "credentials": {
                "app_secret": WA_SECRET,
                "verify_token": WA_VERIFY,
                "access_token": "x",
                "phone_number_id": WA_PHONE_ID,
            },
            "created_at": datetime.now(UTC),
            "disabled_at": None,
        }
    )


def test_text_message_is_normalised(account: ChannelAccount) -> None:
    """The documented text payload yields one message with sender, name, time and text."""
    batch = WA.parse(account, fixture("whatsapp/text.json"))
    [msg] = batch.messages
    assert (
        msg.platform_message_id == "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTdBRjA1MzE5NUUxQjM3QkM5MQA="
    )
    assert (msg.sender_id, msg.sender_name, msg.conversation_id) == (
        "16505551234",
        "Sojan Jose",
        "16505551234",
    )
    assert msg.sent_at == datetime(2022, 10, 3, 12, 25, 4, tzinfo=UTC)
    assert (msg.kind, msg.text) == ("text", "Hi, my order #123 has not arrived")
    assert batch.statuses == [] and batch.ignored == [] and batch.echoes == 0


def test_media_caption_document_and_reply_context(account: ChannelAccount) -> None:
    """Image caption becomes text, media ids become attachments, context.id becomes reply_to."""
    image, document = WA.parse(account, fixture("whatsapp/image_reply.json")).messages
    assert image.kind == "image" and image.text == "Check out my product!"
    assert image.reply_to == "wamid.original-outbound-message"
    assert [(a.kind, a.platform_media_id, a.mime_type) for a in image.attachments] == [
        ("image", "1037543291543636", "image/jpeg")
    ]
    assert document.attachments[0].name == "Rechnung-123.pdf" and document.text is None


def test_statuses_become_receipts_not_messages(account: ChannelAccount) -> None:
    """statuses[] yields receipts (with the platform's error text) and no messages."""
    batch = WA.parse(account, fixture("whatsapp/statuses.json"))
    assert batch.messages == []
    assert [(s.platform_message_id, s.status) for s in batch.statuses] == [
        ("wamid.outbound-1", "delivered"),
        ("wamid.outbound-1", "sent"),
        ("wamid.outbound-2", "failed"),
    ]
    assert batch.statuses[2].error == "131047: Re-engagement message"


def test_echoes_are_dropped(account: ChannelAccount) -> None:
    """smb_message_echoes and messages from our own number are counted as echoes, not stored."""
    batch = WA.parse(account, fixture("whatsapp/echo.json"))
    assert batch.messages == [] and batch.echoes == 2


def test_unsupported_field_is_ignored(account: ChannelAccount) -> None:
    """A field we do not handle is reported as ignored, not as an error."""
    batch = WA.parse(account, fixture("whatsapp/unsupported.json"))
    assert batch.messages == [] and batch.ignored == ["field:message_template_status_update"]


def test_username_user_without_wa_id(account: ChannelAccount) -> None:
    """BSUID senders (no `from`, only from_user_id) are keyed by user_id; button titles become text."""
    [msg] = WA.parse(account, fixture("whatsapp/bsuid.json")).messages
    assert (msg.sender_id, msg.sender_name, msg.text) == (
        "IN.2081978709342942",
        "Username User",
        "Ja, bitte",
    )


def test_other_phone_number_is_not_ours(account: ChannelAccount) -> None:
    """A change for another phone number of the same app is ignored by this account."""
    body = fixture("whatsapp/text.json").replace(WA_PHONE_ID.encode(), b"999999999")
    batch = WA.parse(account, body)
    assert batch.messages == [] and batch.ignored == ["other_phone_number"]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"object": "whatsapp_business_account"}', "entry"),
        (
            b'{"object": "x", "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"id": 1}]}}]}]}',
            "messages.0",
        ),
    ],
)
def test_malformed_bodies_are_400(account: ChannelAccount, body: bytes, where: str) -> None:
    """Malformed JSON or a wrong shape is an INVALID_JSON ApiError naming where it went wrong."""
    with pytest.raises(ApiError) as err:
        WA.parse(account, body)
    assert err.value.code is ErrorCode.INVALID_JSON and err.value.status == 400
    assert where in err.value.message


def test_handshake(account: ChannelAccount) -> None:
    """The right verify token returns the challenge; a wrong one is 403, a missing mode 400."""
    query = {"hub.mode": "subscribe", "hub.verify_token": WA_VERIFY, "hub.challenge": "1158201444"}
    assert WA.handshake(account, query) == "1158201444"
    with pytest.raises(ApiError) as wrong:
        WA.handshake(account, {**query, "hub.verify_token": "nope"})
    assert wrong.value.status == 403
    with pytest.raises(ApiError) as missing:
        WA.handshake(account, {"hub.challenge": "1"})
    assert missing.value.status == 400


def test_signature_over_raw_bytes(account: ChannelAccount) -> None:
    """Only an HMAC of the exact bytes verifies; re-encoding the same JSON does not."""
    escaped = b'{"text": "Gr\\u00fc\\u00dfe \\ud83d\\udce6"}'  # Meta's escaped-unicode form
    WA.verify(account, {"X-Hub-Signature-256": whatsapp_signature(WA_SECRET, escaped)}, escaped)
    raw = '{"text": "Grüße 📦"}'.encode()  # the same JSON value, different bytes
    with pytest.raises(ApiError) as err:
        WA.verify(account, {"X-Hub-Signature-256": whatsapp_signature(WA_SECRET, escaped)}, raw)
    assert err.value.status == 401
    with pytest.raises(ApiError):
        WA.verify(account, {}, raw)


@pytest.mark.parametrize(
    "change",
    [
        b'"timestamp": "1664799904"',  # control: valid
        b'"timestamp": "abc"',
        b'"timestamp": "nan"',
        b'"timestamp": "1e20"',
    ],
)
def test_impossible_timestamps_are_400_not_500(account: ChannelAccount, change: bytes) -> None:
    body = fixture("whatsapp/text.json").replace(b'"timestamp": "1664799904"', change)
    if change.endswith(b'"1664799904"'):
        assert WA.parse(account, body).messages
        return
    with pytest.raises(ApiError) as err:
        WA.parse(account, body)
    assert err.value.status == 400


def test_nul_characters_are_dropped_everywhere(account: ChannelAccount) -> None:
    """PostgreSQL text cannot hold NUL: names and ids lose it instead of failing the webhook."""
    body = fixture("whatsapp/text.json").replace(b'"Sojan Jose"', b'"Sojan\\u0000 Jose"')
    body = body.replace(b'"has not arrived"', b'"has not\\u0000 arrived"')
    [msg] = WA.parse(account, body).messages
    assert msg.sender_name == "Sojan Jose" and msg.text == "Hi, my order #123 has not arrived"


def test_oversized_ids_are_400(account: ChannelAccount) -> None:
    body = fixture("whatsapp/text.json").replace(b'"16505551234"', b'"' + b"9" * 3000 + b'"')
    with pytest.raises(ApiError) as err:
        WA.parse(account, body)
    assert err.value.status == 400
