"""Slack receiver, pure: the signature (Slack's published vector), the url_verification
handshake, a DM with a file, a thread in a shared channel, and what is skipped."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import orjson
import pytest

from contactcenter.channels.slack import Slack, signature
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount
from tests.helpers import fixture

SECRET = "slack-signing-secret"


def _account(**extra: str) -> ChannelAccount:
    return ChannelAccount.model_validate({
        "id": "00000000-0000-4000-8000-000000000301", "brand_id": "00000000-0000-4000-8000-000000000001",
        "channel": "slack", "name": "Slack", "queue_id": "00000000-0000-4000-8000-000000000101",
        "credentials": {"signing_secret": SECRET, "bot_token": "xoxb-1"} | extra,
        "created_at": datetime.now(UTC), "disabled_at": None,
    })  # fmt: skip


def test_signature_matches_slacks_published_example() -> None:
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
        b"-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977"
        b"00885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d1"
        b"0d2c447fce8b6703c"
    )
    assert signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_verify_refuses_wrong_missing_and_stale() -> None:
    body, now = fixture("slack/dm_with_file.json"), str(int(time.time()))
    Slack().verify(_account(), {"X-Slack-Request-Timestamp": now,
                                "X-Slack-Signature": signature(SECRET, now, body)}, body)  # fmt: skip
    old = str(int(time.time()) - 600)
    for headers in ({"X-Slack-Request-Timestamp": now, "X-Slack-Signature": signature("x", now, body)},
                    {"X-Slack-Request-Timestamp": old, "X-Slack-Signature": signature(SECRET, old, body)},
                    {}):  # fmt: skip
        with pytest.raises(ApiError) as err:
            Slack().verify(_account(), headers, body)
        assert err.value.code == ErrorCode.BAD_SIGNATURE


def test_url_verification_is_answered_with_the_challenge() -> None:
    batch = Slack().parse(_account(), fixture("slack/url_verification.json"))
    assert batch.messages == [] and batch.answer == (
        "text/plain", "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")  # fmt: skip


def test_dm_with_a_file_and_a_thread_in_a_channel() -> None:
    [dm] = Slack().parse(_account(), fixture("slack/dm_with_file.json")).messages
    assert (dm.platform_message_id, dm.conversation_id, dm.sender_id, dm.text) == (
        "D024BE91L:1764460800.000200",
        "D024BE91L",
        "U2147483697",
        "Printer on floor 3 is down",
    )
    assert dm.sent_at == datetime.fromtimestamp(1764460800.0002, tz=UTC)
    assert [(a.kind, a.platform_media_id, a.mime_type, a.name) for a in dm.attachments] == [
        ("image", "https://files.slack.com/files-pri/T0001-F0S43PZDF/photo.jpg", "image/jpeg",
         "photo.jpg")]  # fmt: skip
    [reply] = Slack().parse(_account(), fixture("slack/thread_reply.json")).messages
    assert reply.conversation_id == "C0SHARED:1764460600.000100"  # the thread is the conversation
    assert reply.reply_to == "1764460600.000100"


def test_edits_bots_our_echo_other_events_and_other_teams_are_skipped() -> None:
    skipped, echoes = [], 0
    for event in orjson.loads(fixture("slack/others.json")):
        batch = Slack().parse(_account(), orjson.dumps(event))
        assert batch.messages == []
        skipped += batch.ignored
        echoes += batch.echoes
    assert echoes == 1
    assert sorted(skipped) == ["event:message:message_changed", "event:reaction_added:",
                               "type:app_rate_limited"]  # fmt: skip
    batch = Slack().parse(_account(team_id="T9999"), fixture("slack/dm_with_file.json"))
    assert batch.messages == [] and batch.ignored == ["other_team"]


def test_a_message_without_ts_is_a_400() -> None:
    body = orjson.loads(fixture("slack/dm_with_file.json"))
    del body["event"]["ts"]
    with pytest.raises(ApiError) as err:
        Slack().parse(_account(), orjson.dumps(body))
    assert err.value.code == ErrorCode.INVALID_JSON
