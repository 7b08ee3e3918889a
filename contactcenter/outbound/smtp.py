"""Replies by e-mail: SMTP to the account's relay, threaded into the customer's conversation.

Subject "Re: <their subject>", In-Reply-To their latest message, References the thread so far
(RFC 5322 §3.6.4), and a Message-ID derived from our message id, so a retried attempt carries
the same id. 5xx answers are permanent (recipient refused); 4xx, timeouts and lost connections
are retried.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr

import aiosmtplib

from contactcenter.outbound.base import OutFile
from contactcenter.outbound.senders import Result


def reply_subject(subject: str) -> str:
    subject = " ".join(subject.split())  # a header cannot carry CR/LF (header injection)
    if not subject:
        return "Re: your message"
    return subject if re.match(r"^(re|aw)\s*:", subject, re.I) else f"Re: {subject}"


def build(credentials: dict[str, str], to: str, text: str, thread: tuple[str, str, str] | None,
          key: str, files: Sequence[OutFile] = ()) -> EmailMessage:  # fmt: skip
    """thread: (their Message-ID, subject, References); key: stable per message (retries);
    files: attached (with their bytes)."""
    address = credentials["address"]
    msg = EmailMessage()
    msg["From"] = formataddr((credentials.get("from_name", ""), address))
    msg["To"] = to
    msg["Message-ID"] = f"<{key}@{address.rsplit('@', 1)[-1]}>"
    if thread is not None:
        their_id, subject, refs = thread
        msg["Subject"] = reply_subject(subject)
        msg["In-Reply-To"] = f"<{their_id}>"
        msg["References"] = f"{refs} <{their_id}>".strip()
    else:
        msg["Subject"] = reply_subject("")
    msg.set_content(text)
    for f in files:
        maintype, _, subtype = f.mime_type.partition("/")
        msg.add_attachment(f.data or b"", maintype=maintype, subtype=subtype or "octet-stream",
                           filename=f.name)  # fmt: skip
    return msg


async def send(credentials: dict[str, str], msg: EmailMessage, timeout_s: float) -> Result:
    host = credentials.get("smtp_host")
    if not host:
        return Result(
            "failed",
            error="This e-mail account has no smtp_host; add the relay's host (and smtp_port, "
            "smtp_username, smtp_password).",
        )
    tls = credentials.get("smtp_tls", "starttls")
    try:
        await aiosmtplib.send(
            msg, hostname=host, port=int(credentials.get("smtp_port") or 587),
            username=credentials.get("smtp_username") or None,
            password=credentials.get("smtp_password") or None,
            start_tls=tls == "starttls", use_tls=tls == "tls", timeout=timeout_s,
        )  # fmt: skip
    except aiosmtplib.SMTPRecipientsRefused as exc:
        refused = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        return Result("failed", error=f"The mail server refused the recipient: {refused}")
    except aiosmtplib.SMTPResponseException as exc:
        outcome = "failed" if exc.code >= 500 else "retry"
        return Result(outcome, error=f"The mail server answered {exc.code} {exc.message}")
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        return Result("retry", error=f"The mail server could not be reached: {type(exc).__name__}")
    return Result("sent", platform_id=str(msg["Message-ID"]).strip("<>"))
