"""E-mail (CHANNELS.md §11): the built-in SMTP receiver (contactcenter/email_server.py),
Mailgun's inbound route and SendGrid's Inbound Parse, all parsed by email_mime.py.

SendGrid: multipart form with the raw message (`email`) or `headers` + `text`; it signs
nothing, so its URL must carry the account's secret: webhook_url + "?key=<sendgrid_secret>".

Mailgun: POST to /webhooks/email/{account_id}, form fields (urlencoded, or multipart when there
are attachments); signature = hex HMAC-SHA256(mailgun_signing_key, timestamp + token), and a
timestamp more than 15 minutes old is refused (replays). With a route ending in `mime` the raw
message comes as `body-mime`; otherwise it is rebuilt from `message-headers` and `body-plain`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from urllib.parse import parse_qsl, urlsplit

from contactcenter.channels.base import (
    InboundBatch,
    bad_signature,
    constant_time_equal,
    not_allowed,
)
from contactcenter.channels.email_mime import Parsed, parse
from contactcenter.channels.formdata import parts
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount

MAX_AGE_S = 15 * 60
SKIP_HEADERS = frozenset({"content-type", "content-transfer-encoding", "mime-version"})


File = tuple[str | None, str, bytes]  # filename, content type, bytes


def form_files(body: bytes, content_type: str) -> list[File]:
    """The uploaded files of a multipart form: Mailgun's attachment-N, SendGrid's attachmentN."""
    return [(p.filename, p.content_type, p.data) for p in parts(body, content_type)
            if p.filename is not None]  # fmt: skip


def _attach(raw: bytes, files: list[File]) -> bytes:
    """A message rebuilt from form fields, with the form's files as its attachments."""
    if not files:
        return raw
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    for name, mime, data in files:
        main, _, sub = mime.partition("/")
        msg.add_attachment(data, maintype=main or "application",
                           subtype=sub or "octet-stream", filename=name)  # fmt: skip
    return bytes(msg)


def form_fields(body: bytes, content_type: str) -> dict[str, str]:
    """urlencoded or multipart/form-data → {name: text value} (files are not fields)."""
    if content_type.startswith("multipart/form-data"):
        values = [p for p in parts(body, content_type) if p.filename is None]
        names = [p.name for p in values]
        # a name given twice is ambiguous (a forged `dkim` inside a mail, say): neither counts
        return {p.name: p.data.decode("utf-8", "replace") for p in values
                if names.count(p.name) == 1}  # fmt: skip
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise ApiError(ErrorCode.BAD_REQUEST, "The Mailgun form is not UTF-8.") from exc


def mailgun_message(fields: Mapping[str, str], files: list[File] | None = None,
                    trusted: str | None = None) -> Parsed:  # fmt: skip
    if fields.get("body-mime"):
        return parse(fields["body-mime"].encode(), trusted)
    msg = EmailMessage()
    try:
        headers = json.loads(fields.get("message-headers") or "[]")
    except ValueError:
        headers = []
    for pair in headers:
        if isinstance(pair, list) and len(pair) == 2 and str(pair[0]).lower() not in SKIP_HEADERS:
            msg[str(pair[0])] = str(pair[1])
    for name in ("From", "Subject", "Message-Id", "In-Reply-To", "References", "Date"):
        key = name.lower() if name in ("From", "Subject") else name
        if name not in msg and fields.get(key):
            msg[name] = fields[key]
    msg.set_content(fields.get("stripped-text") or fields.get("body-plain") or "")
    return parse(_attach(msg.as_bytes(), files or []), trusted)


class Email:
    name = "email"
    # address: the support address; smtp_host/port/username/password/tls: how replies go out;
    # mailgun_signing_key: only when Mailgun forwards to the webhook URL
    required_credentials: tuple[str, ...] = ("address",)
    content_types = True  # parse_typed gets the Content-Type (multipart forms)

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        raise not_allowed("Mailgun POSTs here; there is no GET.")

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        fields = form_fields(body, headers.get("Content-Type", ""))
        if "signature" in fields or not account.credentials.get("sendgrid_secret"):  # Mailgun
            _verify_mailgun(account, fields)
        else:
            _verify_sendgrid(account, url)

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        return self.parse_typed(account, body, "application/x-www-form-urlencoded")

    def parse_typed(self, account: ChannelAccount, body: bytes, content_type: str) -> InboundBatch:
        fields, files = form_fields(body, content_type), form_files(body, content_type)
        sendgrid = "signature" not in fields and ("email" in fields or "headers" in fields)
        parse_form = sendgrid_message if sendgrid else mailgun_message
        trusted = account.credentials.get("trusted_authserv_id")
        return batch_of(parse_form(fields, files, str(trusted) if trusted else None))


def _verify_mailgun(account: ChannelAccount, fields: Mapping[str, str]) -> None:
    creds = account.credentials  # CHANNELS.md calls it signing_key
    key = str(creds.get("mailgun_signing_key") or creds.get("signing_key") or "")
    if not key:
        raise bad_signature(
            "This e-mail account takes no webhooks: set credentials.mailgun_signing_key "
            "(Mailgun) or sendgrid_secret (SendGrid)."
        )
    stamp, token = fields.get("timestamp", ""), fields.get("token", "")
    expected = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    if not constant_time_equal(fields.get("signature", ""), expected):
        raise bad_signature("The Mailgun signature does not match; check mailgun_signing_key.")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_AGE_S:
        raise bad_signature("The Mailgun timestamp is older than 15 minutes (a replay?).")


def _verify_sendgrid(account: ChannelAccount, url: str) -> None:
    """SendGrid's Inbound Parse signs nothing: the URL carries a secret (?key=…)."""
    given = dict(parse_qsl(urlsplit(url).query)).get("key", "")
    if not constant_time_equal(given, str(account.credentials["sendgrid_secret"])):
        raise bad_signature("Configure SendGrid's Inbound Parse URL as webhook_url + "
                            "'?key=<sendgrid_secret>'; the key is missing or wrong.")  # fmt: skip


def sendgrid_message(fields: Mapping[str, str], files: list[File] | None = None,
                     trusted: str | None = None) -> Parsed:  # fmt: skip
    """The raw message (\"POST the raw, full MIME message\"), or headers + text rebuilt.
    SendGrid reports the DKIM results it checked: `dkim` = "{@example.org : pass}"."""
    passed = re.findall(r"@([A-Za-z0-9.-]+)\s*:\s*pass", fields.get("dkim", ""))
    if fields.get("email"):
        return parse(fields["email"].encode(), trusted, passed)
    head = fields.get("headers", "").replace("\r\n", "\n").strip()
    kept = "\n".join(line for line in head.split("\n")
                     if line.split(":", 1)[0].strip().lower() not in SKIP_HEADERS)  # fmt: skip
    text = fields.get("text") or ""
    raw = f"{kept}\nContent-Type: text/plain; charset=utf-8\n\n{text}".encode()
    return parse(_attach(raw, files or []), trusted, passed)


def batch_of(parsed: Parsed) -> InboundBatch:
    batch = InboundBatch()
    if parsed.message is None:
        batch.ignored.append(f"email:{parsed.skipped}")
    else:
        batch.messages.append(parsed.message)
    return batch
