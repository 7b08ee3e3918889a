"""One e-mail (raw MIME) → a customer message, or the reason it is not one.

Auto-replies, bounces and lists never open tickets (RFC 3834 Auto-Submitted, Precedence,
X-Autoreply, multipart/report delivery-status notices, MAILER-DAEMON). The text is the plain
part, or the HTML turned into readable text; quoted history below the new text is cut
("On … wrote:", "Am … schrieb …:", "-----Original Message-----", "> " lines). Threading:
Message-ID is the dedup key; the thread's first Message-ID (References, else In-Reply-To) is
the conversation, so each thread is its own ticket; the subject, references and sender are kept
for the reply's headers.

The sender's address counts as verified (and merges contacts) only when a trusted party says the
From domain authenticated: an `Authentication-Results` header of the account's
`trusted_authserv_id` (the MTA in front of us, RFC 8601) with dmarc=pass, or dkim=pass for a
domain aligned with From; or a provider's DKIM report (SendGrid's `dkim` field).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from contactcenter.channels.base import Attachment, InboundMessage, clean_text

AUTO_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")
QUOTE_STARTS = (
    re.compile(r"^\s*On .{4,200} wrote:\s*$"),  # Gmail, Apple Mail
    re.compile(r"^\s*Am .{4,200} schrieb .{1,200}:\s*$"),  # German clients
    re.compile(r"^\s*Le .{4,200} a écrit\s*:\s*$"),
    re.compile(r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*(From|Von):\s.+$"),  # Outlook's header block
    re.compile(r"^\s*_{20,}\s*$"),
)


@dataclass(frozen=True, slots=True)
class Parsed:
    message: InboundMessage | None
    skipped: str | None  # why it is not a customer message


def parse(raw: bytes, trusted: str | None = None, dkim_passed: Iterable[str] = ()) -> Parsed:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(msg, EmailMessage):  # pragma: no cover - policy.default gives these
        return Parsed(None, "not_mime")
    why = _automatic(msg)
    if why:
        return Parsed(None, why)
    addresses = getaddresses([_nul(msg.get("From", ""))])
    name, sender = addresses[0] if addresses else ("", "")
    sender = sender.strip().lower()
    if "@" not in sender:
        return Parsed(None, "no_sender")
    authentic = _aligned(sender, dkim_passed) or bool(
        trusted and _authenticated(msg, sender, trusted)
    )
    message_id = _id(msg.get("Message-ID")) or "sha256:" + hashlib.sha256(raw).hexdigest()
    text, attachments = _content(msg, message_id)
    subject = _nul(msg.get("Subject", "")).strip()
    references = re.findall(r"<([^<>]+)>", _nul(msg.get("References", "")))
    root = (references[0] if references else None) or _id(msg.get("In-Reply-To")) or message_id
    message = InboundMessage(  # a thread (its first Message-ID) is the conversation: one ticket
        platform_message_id=message_id, conversation_id=root, sender_id=sender,
        sender_name=name.strip(), sent_at=_date(msg.get("Date")), kind="email",
        text=clean_text(_with_subject(subject, trim_quotes(text))), attachments=attachments,
        reply_to=_id(msg.get("In-Reply-To")),
        thread=(subject, " ".join(_nul(msg.get("References", "")).split())),
        verified_email=sender if authentic else None,
    )  # fmt: skip
    return Parsed(message, None)


def _authenticated(msg: EmailMessage, sender: str, trusted: str) -> bool:
    """The topmost Authentication-Results header — the one our MTA added last — if it is
    `trusted`'s, with dmarc=pass for the From domain, or dkim=pass for a domain aligned with it.
    Headers further down were written before our MTA (by the sender, perhaps): ignored."""
    for header in (msg.get_all("Authentication-Results") or [])[:1]:
        serv, _, results = " ".join(str(header).split()).partition(";")
        if not serv.split() or serv.split()[0].lower() != trusted.lower():
            return False
        for result in results.lower().split(";"):
            found = re.match(r"\s*(dmarc|dkim)=pass\b(.*)", result)
            prop = "header.from" if found and found.group(1) == "dmarc" else "header.d"
            domain = found and re.search(rf"{prop}=([a-z0-9.-]+)", found.group(2))
            if domain and _aligned(sender, [domain.group(1)]):
                return True
    return False


def _aligned(sender: str, domains: Iterable[str]) -> bool:
    """Relaxed alignment: the From domain and the authenticated one share a parent domain
    (mail.example.org and example.org), never just a public suffix."""
    mine = sender.rpartition("@")[2].lower()
    for d in (d.strip(".").lower() for d in domains):
        shorter, longer = sorted((mine, d), key=len)
        if shorter.count(".") >= 1 and (longer == shorter or longer.endswith("." + shorter)):
            return True
    return False


def _automatic(msg: EmailMessage) -> str | None:
    auto = str(msg.get("Auto-Submitted", "no")).strip().lower()
    if auto != "no":
        return "auto_submitted"
    if str(msg.get("Precedence", "")).strip().lower() in AUTO_PRECEDENCE:
        return "precedence"
    if (
        msg.get("X-Autoreply")
        or msg.get("X-Autorespond")
        or msg.get("X-Auto-Response-Suppress") == "All"
    ):
        return "autoreply"
    if msg.get_content_type() == "multipart/report":
        return "delivery_report"
    sender = str(msg.get("From", "")).lower()
    if any(b in sender for b in BOUNCE_SENDERS):
        return "bounce"
    return None


def _nul(value: object) -> str:
    """A header's text without NUL (an encoded word can carry one; PostgreSQL text cannot)."""
    return str(value or "").replace("\x00", "")


def _id(value: object) -> str | None:
    text = _nul(value).strip()
    match = re.search(r"<([^<>]+)>", text)
    return (match.group(1) if match else text) or None


def _date(value: object) -> datetime:
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return datetime.now(UTC)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return min(parsed.astimezone(UTC), datetime.now(UTC))  # a future Date is a wrong clock


def _content(msg: EmailMessage, message_id: str) -> tuple[str, tuple[Attachment, ...]]:
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    text = ""
    if plain is not None:
        text = _decoded(plain)
    elif html is not None:
        text = html_to_text(_decoded(html))
    attachments = tuple(
        Attachment(
            "file",
            f"{message_id}#{n}",
            part.get_content_type(),
            _nul(part.get_filename()) or None,
            len(_bytes(part)),
            _bytes(part),
        )
        for n, part in enumerate(msg.iter_attachments())
    )
    return text, attachments


def _bytes(part: MIMEPart) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _decoded(part: MIMEPart) -> str:
    """The part's text; an unknown or lying charset falls back to UTF-8 with replacements."""
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _with_subject(subject: str, text: str) -> str:
    """The subject leads the first message of a thread (agents read it like a headline)."""
    if subject and not re.match(r"^(re|aw|fwd?|wg)\s*:", subject, re.I):
        return f"{subject}\n\n{text}".strip()
    return text


def trim_quotes(text: str) -> str:
    """The new part of a reply: everything above the quoted history (linear in the length)."""
    lines = text.replace("\r\n", "\n").split("\n")
    trailing = len(lines)  # where a run of '>' lines reaching the end starts (blanks aside)
    for i in range(len(lines) - 1, -1, -1):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith(">"):
            break
        if stripped:
            trailing = i
    for i, line in enumerate(lines):
        if i > 0 and (i >= trailing or any(p.match(line) for p in QUOTE_STARTS)):
            lines = lines[:i]
            break
    return "\n".join(lines).strip()


class _Text(HTMLParser):
    BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"})
    SKIP = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "blockquote":
            self.quote += 1  # a quoted earlier message: dropped
        if tag in self.BLOCK or tag == "br":
            self.out.append("\n")
        if tag == "li":
            self.out.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        if tag in self.BLOCK and tag != "li":  # the next item starts its own line
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.quote:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.out)
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
