"""Messenger and Instagram receivers, pure: recorded payloads → the common model; signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from contactcenter.channels.meta_messaging import Instagram, Messenger
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount
from tests.helpers import fixture

SECRET = "fb-app-secret"
PAGE_ID = "107000000000001"
IG_ID = "17841400000000000"


def _account(channel: str) -> ChannelAccount:
    own = {"page_id": PAGE_ID, "page_access_token": "EAAP"} if channel == "messenger" else {
        "ig_id": IG_ID, "access_token": "IGQ"}  # fmt: skip
    return ChannelAccount.model_validate({
        "id": "00000000-0000-4000-8000-000000000203", "brand_id": "00000000-0000-4000-8000-000000000001",
        "channel": channel, "name": channel, "queue_id": "00000000-0000-4000-8000-000000000101",
        "credentials": {"app_secret": SECRET, "verify_token": "vt"} | own,
        "created_at": datetime.now(UTC), "disabled_at": None,
    })  # fmt: skip


def _ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def test_messenger_text_with_reply_to() -> None:
    batch = Messenger().parse(_account("messenger"), fixture("messenger/text.json"))
    [m] = batch.messages
    assert (m.platform_message_id, m.sender_id, m.conversation_id) == (
        "m_AbCdEf-text-1", "6650000000000001", "6650000000000001")  # fmt: skip
    assert m.text == "Hallo, ist mein Paket unterwegs?" and m.reply_to == "m_earlier-outbound"
    assert m.sent_at == _ms(1764460800000) and m.sender_name == ""


def test_messenger_attachments_keep_their_urls() -> None:
    [m] = Messenger().parse(_account("messenger"), fixture("messenger/attachment.json")).messages
    assert [(a.kind, a.platform_media_id[:26]) for a in m.attachments] == [
        ("image", "https://scontent.xx.fbcdn."), ("fallback", "https://example.com/track")]  # fmt: skip
    assert m.kind == "image" and m.text is None


def test_messenger_echo_postback_and_standby() -> None:
    """Our own echo is dropped, a postback is the button's title, standby events are skipped."""
    batch = Messenger().parse(
        _account("messenger"), fixture("messenger/echo_postback_standby.json")
    )
    assert batch.echoes == 1 and batch.ignored == ["standby"]
    [m] = batch.messages
    assert (m.platform_message_id, m.kind, m.text) == (
        "m_postback-1",
        "postback",
        "Talk to a human",
    )


def test_messenger_receipts() -> None:
    """delivery names its mids; Messenger's read has only a watermark: everything we sent to
    that person up to then."""
    batch = Messenger().parse(_account("messenger"), fixture("messenger/receipts.json"))
    assert [(s.platform_message_id, s.status) for s in batch.statuses] == [
        ("m_out-1", "delivered"), ("m_out-2", "delivered"),
        ("watermark:6650000000000001", "read")]  # fmt: skip
    assert batch.statuses[2].at == datetime.fromtimestamp(1764460804, tz=UTC)
    assert batch.ignored == [] and batch.messages == []


def test_messenger_batches_walk_every_entry() -> None:
    batch = Messenger().parse(_account("messenger"), fixture("messenger/batched.json"))
    assert [(m.platform_message_id, m.sender_id) for m in batch.messages] == [
        ("m_batch-a", "6650000000000003"), ("m_batch-b", "6650000000000004"),
        ("m_batch-c", "6650000000000003")]  # fmt: skip


def test_instagram_dm_story_reply_and_other_events() -> None:
    ig = Instagram()
    [m] = ig.parse(_account("instagram"), fixture("instagram/text.json")).messages
    assert (m.text, m.sender_id, m.sent_at) == ("Do you ship to Lyon?", "1220000000000001",
                                                _ms(1764460900000))  # fmt: skip
    [story] = ig.parse(_account("instagram"), fixture("instagram/story_reply.json")).messages
    assert story.reply_to == "story:18000000000000001" and story.text == "Love this!"
    batch = ig.parse(_account("instagram"), fixture("instagram/other_events.json"))
    assert batch.echoes == 1 and batch.ignored == ["unsend"]
    [comment] = batch.messages  # the comment on a post, beside the DM events
    assert (comment.kind, comment.text, comment.sender_username) == ("comment", "Nice!", "fan")
    assert [(s.platform_message_id, s.status) for s in batch.statuses] == [
        ("aWdfour-reply", "read")
    ]


def test_other_objects_and_accounts_are_ignored() -> None:
    """An Instagram body on the Messenger URL, or another Page's entry: nothing stored."""
    wrong_object = Messenger().parse(_account("messenger"), fixture("instagram/text.json"))
    assert wrong_object.messages == [] and wrong_object.ignored == ["object:instagram"]
    other_page = fixture("messenger/text.json").replace(PAGE_ID.encode(), b"999", 1)
    assert Messenger().parse(_account("messenger"), other_page).ignored == ["other_account"]


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"object": "page"}',
        b'{"object": "page", "entry": [{"messaging": [{"sender": {"id": "1"}, "timestamp": "soon", "message": {"mid": "m"}}]}]}',
    ],
)
def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(ApiError) as err:
        Messenger().parse(_account("messenger"), body)
    assert err.value.code == ErrorCode.INVALID_JSON


def test_signature_and_handshake() -> None:
    account, body = _account("instagram"), fixture("instagram/text.json")
    good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    Instagram().verify(account, {"X-Hub-Signature-256": good}, body)
    digest = good.removeprefix("sha256=")
    flipped = "sha256=" + digest[:-1] + ("0" if digest[-1] != "0" else "1")  # the digest itself
    for headers in ({}, {"X-Hub-Signature-256": flipped}, {"X-Hub-Signature-256": digest}):
        with pytest.raises(ApiError) as err:
            Instagram().verify(account, headers, body)
        assert err.value.code == ErrorCode.BAD_SIGNATURE
    query = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "42"}
    assert Messenger().handshake(_account("messenger"), query) == "42"


def test_facebook_page_comments() -> None:
    """A customer's comment is a message of the post's public thread; a reaction is not, and
    the Page's own reply (from the Page) is an echo."""
    from contactcenter.channels.meta_messaging import Facebook

    batch = Facebook().parse(_account("messenger"), fixture("facebook/comment.json"))
    [m] = batch.messages
    assert (m.platform_message_id, m.conversation_id, m.sender_name, m.kind) == (
        "122131676912594941_1213590066982748", "post:107000000000001_122131676912594941",
        "Jane Customer", "comment")  # fmt: skip
    assert m.text == "Is this still available?" and m.reply_to is None  # top level
    assert batch.ignored == ["feed:reaction:add"] and batch.echoes == 1
    # one Page callback URL carries feed and messages: the Messenger account takes both
    assert (
        len(Messenger().parse(_account("messenger"), fixture("facebook/comment.json")).messages)
        == 1
    )


def test_a_visitor_post_on_the_page_is_a_conversation() -> None:
    """A visitor's own post on the Page: the post is the message and the thread (answered with
    a comment on it); an edit of it is not a new message."""
    from contactcenter.channels.meta_messaging import Facebook

    batch = Facebook().parse(_account("messenger"), fixture("facebook/visitor_post.json"))
    [m] = batch.messages
    assert (m.platform_message_id, m.conversation_id, m.sender_name, m.kind, m.text) == (
        "107000000000001_122131676912599999", "post:107000000000001_122131676912599999",
        "Tom Visitor", "post", "My order #4411 arrived broken. Who can help?")  # fmt: skip
    assert m.sent_at == datetime.fromtimestamp(1764460899, tz=UTC)
    assert batch.ignored == ["feed:status:edited"]


def test_instagram_comments() -> None:
    [m] = Instagram().parse(_account("instagram"), fixture("instagram/comment.json")).messages
    assert (m.platform_message_id, m.conversation_id, m.sender_username) == (
        "17900000000000001", "comment:17800000000000001", "coffee_fan")  # fmt: skip
    assert m.sent_at == datetime.fromtimestamp(1764460905, tz=UTC)


def test_comment_times_in_seconds_are_read_as_seconds() -> None:
    """Real Instagram comment captures carry `entry.time` in seconds, messaging in ms: both
    give the same instant (not a date in 1970)."""
    body = fixture("instagram/comment.json").replace(
        b'"time": 1764460905000', b'"time": 1764460905'
    )
    [m] = Instagram().parse(_account("instagram"), body).messages
    assert m.sent_at == datetime.fromtimestamp(1764460905, tz=UTC)
