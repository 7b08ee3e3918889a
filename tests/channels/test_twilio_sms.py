"""Twilio SMS receiver, pure: the published signature vector, form fields → the common model."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from contactcenter.channels.twilio_sms import TwilioSms, signature
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount

TOKEN = "twilio-auth-token"
URL = "https://cc.example.com/webhooks/twilio-sms/00000000-0000-4000-8000-000000000204"


def _account(sender: str = "+14155550000") -> ChannelAccount:
    return ChannelAccount.model_validate({
        "id": "00000000-0000-4000-8000-000000000204", "brand_id": "00000000-0000-4000-8000-000000000001",
        "channel": "twilio-sms", "name": "SMS", "queue_id": "00000000-0000-4000-8000-000000000101",
        "credentials": {"account_sid": "AC123", "auth_token": TOKEN, "from_number": sender},
        "created_at": datetime.now(UTC), "disabled_at": None,
    })  # fmt: skip


def test_signature_matches_twilios_published_vector() -> None:
    params = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
              ("From", "+12349013030"), ("To", "+18005551212")]  # fmt: skip
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


SMS = {"MessageSid": "SM1a2b", "SmsSid": "SM1a2b", "AccountSid": "AC123", "From": "+14155551234",
       "To": "+14155550000", "Body": "Where is my order?", "NumMedia": "0", "SmsStatus": "received"}  # fmt: skip


def test_sms_and_mms() -> None:
    [m] = TwilioSms().parse(_account(), urlencode(SMS).encode()).messages
    assert (m.platform_message_id, m.sender_id, m.conversation_id, m.text) == (
        "SM1a2b", "+14155551234", "+14155551234", "Where is my order?")  # fmt: skip
    mms = SMS | {"MessageSid": "MM9", "Body": "", "NumMedia": "2",
                 "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages/MM9/Media/ME1",
                 "MediaContentType0": "image/jpeg",
                 "MediaUrl1": "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages/MM9/Media/ME2",
                 "MediaContentType1": "application/pdf"}  # fmt: skip
    [m] = TwilioSms().parse(_account(), urlencode(mms).encode()).messages
    assert m.text is None and [(a.platform_media_id[-3:], a.mime_type) for a in m.attachments] == [
        ("ME1", "image/jpeg"), ("ME2", "application/pdf")]  # fmt: skip


def test_status_callbacks_and_other_numbers() -> None:
    delivered = {"MessageSid": "SMout1", "MessageStatus": "delivered", "SmsStatus": "delivered",
                 "To": "+14155551234", "From": "+14155550000"}  # fmt: skip
    [s] = TwilioSms().parse(_account(), urlencode(delivered).encode()).statuses
    assert (s.platform_message_id, s.status, s.error) == ("SMout1", "delivered", None)
    failed = delivered | {"MessageStatus": "undelivered", "ErrorCode": "30003",
                          "ErrorMessage": "Unreachable destination handset"}  # fmt: skip
    [s] = TwilioSms().parse(_account(), urlencode(failed).encode()).statuses
    assert (s.status, s.error) == ("failed", "Twilio error 30003: Unreachable destination handset")
    queued = TwilioSms().parse(
        _account(), urlencode(delivered | {"MessageStatus": "queued"}).encode()
    )
    assert queued.statuses == [] and queued.ignored == ["status:queued"]
    other = TwilioSms().parse(_account(), urlencode(SMS | {"To": "+19999999999"}).encode())
    assert other.messages == [] and other.ignored == ["other_number"]
    service = _account("MG9752274e9e519418a7406176694466fa")  # a Messaging Service: many numbers
    [m] = TwilioSms().parse(service, urlencode(SMS | {"To": "+19999999999"}).encode()).messages
    assert m.platform_message_id == SMS["MessageSid"]


@pytest.mark.parametrize("body", [b"\xff\xfe", urlencode({"Body": "no sid"}).encode()])
def test_bad_bodies_are_4xx(body: bytes) -> None:
    with pytest.raises(ApiError) as err:
        TwilioSms().parse(_account(), body)
    assert err.value.status < 500 and err.value.code in (
        ErrorCode.BAD_REQUEST,
        ErrorCode.INVALID_JSON,
    )


def test_signature_is_checked_over_url_and_fields() -> None:
    body = urlencode(SMS).encode()
    good = signature(TOKEN, URL, sorted(SMS.items()))
    TwilioSms().verify(_account(), {"X-Twilio-Signature": good}, body, URL)
    for headers, url in (({}, URL), ({"X-Twilio-Signature": good}, URL + "?x=1"),
                         ({"X-Twilio-Signature": good}, URL.replace("https", "http"))):  # fmt: skip
        with pytest.raises(ApiError) as err:
            TwilioSms().verify(_account(), headers, body, url)
        assert err.value.code == ErrorCode.BAD_SIGNATURE
