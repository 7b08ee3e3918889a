"""E-mail parsing, pure: threading ids, quotes trimmed, HTML to text, automatic mail dropped;
Mailgun's form and signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from contactcenter.channels.email import Email, form_fields, mailgun_message
from contactcenter.channels.email_mime import html_to_text, parse, trim_quotes
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount
from tests.helpers import fixture


def test_a_reply_keeps_only_the_new_text_and_its_thread() -> None:
    m = parse(fixture("email/reply.eml")).message
    assert m is not None
    assert (m.platform_message_id, m.sender_id, m.sender_name) == (
        "CAF=abc123@mail.example.org", "ines.berger@example.org", "Ines Berger")  # fmt: skip
    assert m.text == "Thanks, but it still has not arrived. Could you check again?\n\nInes"
    assert m.reply_to == "cc-reply-1@acme.test"
    assert m.thread == ("Re: Your order 17", "<order-17@acme.test> <cc-reply-1@acme.test>")
    assert m.sent_at == datetime(2026, 11, 29, 7, 15, tzinfo=UTC)


def test_html_only_mail_becomes_readable_text_with_its_attachment() -> None:
    m = parse(fixture("email/html_only.eml")).message
    assert m is not None
    assert (
        m.text == "Broken link\n\nHello\n\nThe link in your newsletter is broken.\n\n• one\n• two"
    )
    [a] = m.attachments
    assert (a.name, a.mime_type, a.platform_media_id) == ("screen.pdf", "application/pdf",
                                                          "html-1@example.net#0")  # fmt: skip


@pytest.mark.parametrize(("name", "why"), [("autoreply", "auto_submitted"),
                                           ("bounce", "delivery_report")])  # fmt: skip
def test_automatic_mail_never_opens_a_ticket(name: str, why: str) -> None:
    parsed = parse(fixture(f"email/{name}.eml"))
    assert parsed.message is None and parsed.skipped == why


def test_quote_trimming() -> None:
    assert trim_quotes("Yes.\n\nOn Mon, 30 Nov 2026 at 07:00, Acme <a@b.c> wrote:\n> old") == "Yes."
    assert trim_quotes("Fine\n-----Original Message-----\nFrom: x") == "Fine"
    # an answer between quotes keeps the quote it answers; the trailing quote is history
    assert trim_quotes("> quoted first\nmy answer\n> more") == "> quoted first\nmy answer"
    assert html_to_text("<p>a&amp;b</p><script>x()</script><br>c") == "a&b\n\nc"


def _account(**creds: str) -> ChannelAccount:
    return ChannelAccount.model_validate({
        "id": "00000000-0000-4000-8000-000000000207", "brand_id": "00000000-0000-4000-8000-000000000001",
        "channel": "email", "name": "Mail", "queue_id": "00000000-0000-4000-8000-000000000101",
        "credentials": {"address": "support@acme.test"} | creds,
        "created_at": datetime.now(UTC), "disabled_at": None,
    })  # fmt: skip


def _mailgun(key: str, fields: dict[str, str], stamp: int | None = None) -> dict[str, str]:
    ts, token = str(stamp or int(time.time())), "t" * 50
    sig = hmac.new(key.encode(), (ts + token).encode(), hashlib.sha256).hexdigest()
    return fields | {"timestamp": ts, "token": token, "signature": sig}


def test_mailgun_fields_signature_and_multipart() -> None:
    fields = _mailgun("mg-key", {
        "from": "Ines <ines@example.org>", "subject": "Order 17", "body-plain": "Hi\n> old",
        "stripped-text": "Hi", "Message-Id": "<mg-1@example.org>",
        "message-headers": json.dumps([["Date", "Mon, 30 Nov 2026 08:00:00 +0000"]]),
    })  # fmt: skip
    body = urlencode(fields).encode()
    account = _account(mailgun_signing_key="mg-key")
    Email().verify(account, {"Content-Type": "application/x-www-form-urlencoded"}, body)
    m = mailgun_message(form_fields(body, "application/x-www-form-urlencoded")).message
    assert m is not None and (m.platform_message_id, m.text) == (
        "mg-1@example.org",
        "Order 17\n\nHi",
    )
    stale = urlencode(_mailgun("mg-key", fields, stamp=int(time.time()) - 3600)).encode()
    for bad_body, acc in ((stale, account), (body, _account(mailgun_signing_key="other")),
                          (body, _account())):  # fmt: skip
        with pytest.raises(ApiError) as err:
            Email().verify(acc, {"Content-Type": "application/x-www-form-urlencoded"}, bad_body)
        assert err.value.code == ErrorCode.BAD_SIGNATURE
    multipart = (b'--X\r\nContent-Disposition: form-data; name="body-mime"\r\n\r\n'
                 + fixture("email/reply.eml") + b"\r\n--X--\r\n")  # fmt: skip
    parsed = mailgun_message(form_fields(multipart, "multipart/form-data; boundary=X")).message
    assert parsed is not None and parsed.platform_message_id == "CAF=abc123@mail.example.org"


def test_trimming_is_linear_and_odd_charsets_do_not_crash() -> None:
    """200,000 short lines parse in well under a second (a quadratic trim took minutes and
    blocked the web process); an unknown charset falls back to UTF-8."""
    start = time.perf_counter()
    assert trim_quotes("hi\n" * 200_000).startswith("hi")
    assert time.perf_counter() - start < 1.0
    raw = (
        b"From: a@example.org\r\nMessage-ID: <cs-1@example.org>\r\nSubject: x\r\n"
        b"Content-Type: text/plain; charset=x-unknown-8\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n"
    )
    m = parse(raw).message
    assert m is not None and m.text == "x\n\nGrüße"
