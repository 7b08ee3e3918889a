"""X receiver, pure: CRC, signatures, DMs and mentions → the common model, echoes dropped."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import orjson
import pytest

from contactcenter.channels.x import X, crc_response
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount
from tests.helpers import fixture

SECRET = "x-consumer-secret"


def _account() -> ChannelAccount:
    return ChannelAccount.model_validate({
        "id": "00000000-0000-4000-8000-000000000208", "brand_id": "00000000-0000-4000-8000-000000000001",
        "channel": "x", "name": "X", "queue_id": "00000000-0000-4000-8000-000000000101",
        "credentials": {"consumer_secret": SECRET, "user_id": "2244994945", "access_token": "xt"},
        "created_at": datetime.now(UTC), "disabled_at": None,
    })  # fmt: skip


def test_crc_answers_with_the_hmac_of_the_token() -> None:
    answer = orjson.loads(X().handshake(_account(), {"crc_token": "challenge-123"}))
    digest = hmac.new(SECRET.encode(), b"challenge-123", hashlib.sha256).digest()
    assert answer == {"response_token": "sha256=" + base64.b64encode(digest).decode()}
    assert crc_response(SECRET, "challenge-123") == answer["response_token"]
    with pytest.raises(ApiError):
        X().handshake(_account(), {})


def test_dm_with_media_and_the_echo_dropped() -> None:
    batch = X().parse(_account(), fixture("x/dm.json"))
    [m] = batch.messages
    assert (m.platform_message_id, m.conversation_id, m.sender_name, m.sender_username) == (
        "1710000000000000000", "3805104374", "Jane", "jane_doe")  # fmt: skip
    assert m.text == "My package never arrived" and m.attachments[0].kind == "photo"
    assert m.sent_at == datetime.fromtimestamp(1764460800.727, tz=UTC)
    assert batch.echoes == 1


def test_mention_uses_the_full_text() -> None:
    batch = X().parse(_account(), fixture("x/mention.json"))
    [m] = batch.messages
    assert (m.conversation_id, m.kind) == ("mention:3805104374", "mention")
    assert m.text is not None and m.text.endswith("the tracking page is empty.")
    assert "event:favorite_events" in batch.ignored and "event:user_has_blocked" in batch.ignored


def test_someone_elses_retweet_is_not_a_mention() -> None:
    body = orjson.loads(fixture("x/mention.json"))
    body["tweet_create_events"][0]["retweeted_status"] = {"id_str": "1", "user": {"id_str": "9"}}
    batch = X().parse(_account(), orjson.dumps(body))
    assert batch.messages == [] and "retweet" in batch.ignored


def test_signature_is_base64_hmac_of_the_body() -> None:
    body = fixture("x/dm.json")
    good = (
        "sha256="
        + base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    )
    X().verify(_account(), {"x-twitter-webhooks-signature": good}, body)
    for headers in ({}, {"x-twitter-webhooks-signature": good[:-3] + "AAA"}):
        with pytest.raises(ApiError) as err:
            X().verify(_account(), headers, body)
        assert err.value.code == ErrorCode.BAD_SIGNATURE
