"""LINE and Viber receivers, pure: recorded payloads → the common model; signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from contactcenter.channels.line import Line
from contactcenter.channels.viber import Viber
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount
from tests.helpers import fixture

LINE_SECRET = "line-channel-secret"
VIBER_TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"


def _account(channel: str) -> ChannelAccount:
    creds = {"channel_secret": LINE_SECRET, "channel_access_token": "LT"} if channel == "line" \
        else {"auth_token": VIBER_TOKEN}  # fmt: skip
    return ChannelAccount.model_validate({
        "id": "00000000-0000-4000-8000-000000000205", "brand_id": "00000000-0000-4000-8000-000000000001",
        "channel": channel, "name": channel, "queue_id": "00000000-0000-4000-8000-000000000101",
        "credentials": creds, "created_at": datetime.now(UTC), "disabled_at": None,
    })  # fmt: skip


def test_line_messages_groups_and_skipped_events() -> None:
    batch = Line().parse(_account("line"), fixture("line/events.json"))
    text, image = batch.messages
    assert (text.platform_message_id, text.conversation_id, text.sender_id, text.text) == (
        "468789577898262530", "U4af4980629abcdef1234567890abcdef",
        "U4af4980629abcdef1234567890abcdef", "Hello")  # fmt: skip
    assert text.reply_to == "468789532432007169"
    assert text.sent_at == datetime.fromtimestamp(1764460800, tz=UTC)
    assert image.conversation_id == "Ca56f94637cc4347f90a25382909b24b9"  # replies go to the group
    assert [(a.kind, a.platform_media_id) for a in image.attachments] == [
        ("image", "468789577898262531")
    ]
    assert sorted(batch.ignored) == ["event:follow", "standby"]


def test_line_verify_button_and_signature() -> None:
    body = fixture("line/verify.json")
    assert Line().parse(_account("line"), body).messages == []
    good = base64.b64encode(hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    Line().verify(_account("line"), {"x-line-signature": good}, body)
    with pytest.raises(ApiError) as err:
        Line().verify(_account("line"), {"x-line-signature": good}, body + b" ")
    assert err.value.code == ErrorCode.BAD_SIGNATURE


def test_viber_message_picture_check_and_failure() -> None:
    viber, account = Viber(), _account("viber")
    [m] = viber.parse(account, fixture("viber/message.json")).messages
    assert (m.platform_message_id, m.sender_id, m.sender_name, m.text, m.language) == (
        "4912661846655238145", "01234567890A=", "John McClane", "My bill is wrong", "en")  # fmt: skip
    [p] = viber.parse(account, fixture("viber/picture.json")).messages
    assert p.text == "the bill" and p.attachments[0].kind == "picture"
    check = viber.parse(account, fixture("viber/webhook_check.json"))
    assert check.messages == [] and check.ignored == ["event:webhook"]
    [s] = viber.parse(account, fixture("viber/failed.json")).statuses
    assert (s.platform_message_id, s.status, s.error) == ("5098034275300000001", "failed",
                                                          "failure description")  # fmt: skip


def test_viber_signature_is_hex_hmac_of_the_body() -> None:
    body = fixture("viber/message.json")
    good = hmac.new(VIBER_TOKEN.encode(), body, hashlib.sha256).hexdigest()
    Viber().verify(_account("viber"), {"X-Viber-Content-Signature": good}, body)
    for headers in ({}, {"X-Viber-Content-Signature": good[:-1] + "0"}):
        with pytest.raises(ApiError) as err:
            Viber().verify(_account("viber"), headers, body)
        assert err.value.code == ErrorCode.BAD_SIGNATURE


@pytest.mark.parametrize("channel", ["line", "viber"])
def test_malformed_bodies_are_400(channel: str) -> None:
    receiver = Line() if channel == "line" else Viber()
    for body in (b"{", b"[]", b'{"events": [{"type": "message"}]}', b'{"event": "message"}'):
        with pytest.raises(ApiError) as err:
            receiver.parse(_account(channel), body)
        assert err.value.code == ErrorCode.INVALID_JSON
