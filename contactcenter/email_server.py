"""The built-in SMTP receiver (aiosmtpd on the web process's event loop, CC_SMTP_PORT).

RCPT TO must be the `address` of an active e-mail account (else 550, so the sending server
bounces it at once); DATA is parsed (email_mime.py) and stored through the same group commit
as webhooks, and 250 is answered only after COMMIT. Auto-replies and bounces are accepted and
dropped (250: the sender must not retry them). Put it behind your MX or a relay that does
spam filtering; it does not do SPF/DKIM checks itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from contactcenter import logs
from contactcenter.actions.group_commit import GroupCommitter
from contactcenter.actions.ingest import IngestUnit
from contactcenter.api.accounts_cache import AccountCache
from contactcenter.channels.email import batch_of
from contactcenter.channels.email_mime import parse
from contactcenter.errors import ApiError
from contactcenter.models import ChannelAccount
from contactcenter.store import db
from contactcenter.store.queries import q

log = logs.get_logger(__name__)
_BY_ADDRESS = q("email.account_by_address")
MAX_MESSAGE_BYTES = 25 * 1024 * 1024


class Handler:
    def __init__(self, pool: Any, accounts: AccountCache, committer: GroupCommitter) -> None:
        self._pool = pool
        self._accounts = accounts
        self._committer = committer

    async def _account(self, address: str) -> ChannelAccount | None:
        async with db.connection(self._pool) as conn:
            account_id = await conn.fetchval(_BY_ADDRESS, address)
        return await self._accounts.get(account_id) if account_id else None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if await self._account(address) is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        parsed = parse(raw)
        if parsed.message is None:
            log.info("email.dropped", reason=parsed.skipped)
            return "250 OK (not a customer message)"
        try:
            for address in dict.fromkeys(envelope.rcpt_tos):
                account = await self._account(address)
                if account is not None:
                    trusted = account.credentials.get("trusted_authserv_id")
                    mine = parse(raw, str(trusted)) if trusted else parsed
                    await self._committer.submit(IngestUnit(account, batch_of(mine)))
        except ApiError:
            return "451 4.3.0 temporarily unable to store the message; try again later"
        return "250 OK"


async def start(host: str, port: int, pool: Any, accounts: AccountCache,
                committer: GroupCommitter) -> asyncio.Server:  # fmt: skip
    handler = Handler(pool, accounts, committer)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            hostname="contactcenter",
        ),
        host,
        port,
    )
    log.info("email.smtp_listening", host=host, port=port)
    return server
