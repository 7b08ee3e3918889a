"""CSV export of tickets with their SLA outcomes, streamed row by row from a cursor."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from uuid import UUID

from aiohttp import web
from pydantic import Field, model_validator

from contactcenter import keys
from contactcenter.api.http import parse_query
from contactcenter.api.schemas import In
from contactcenter.store import db
from contactcenter.store.queries import q

_TICKETS = q("reports.tickets_with_sla")
STATUSES = {"new", "open", "pending", "solved", "closed"}
COLUMNS = [
    "ticket_id", "brand_id", "queue", "channel", "status", "priority", "created_at",
    "first_replied_at", "first_response_s", "solved_at", "assignee_id", "assignee",
    "first_response_due_at", "first_response", "next_responses_met", "next_responses_breached",
    "resolution_due_at", "resolution", "resolution_paused_s",
]  # fmt: skip
FLUSH_ROWS = 500


class ReportQuery(In):
    from_: datetime = Field(alias="from")
    to: datetime
    brand_id: UUID | None = None
    queue_id: UUID | None = None
    channel: str | None = None
    status: str | None = Field(default=None, description="comma-separated statuses")

    @model_validator(mode="after")
    def _check(self) -> ReportQuery:
        if self.from_.tzinfo is None or self.to.tzinfo is None:
            raise ValueError("from and to need a time zone, e.g. 2026-11-01T00:00:00Z")
        if self.to <= self.from_:
            raise ValueError("from must be before to")
        unknown = set(self.statuses or ()) - STATUSES
        if unknown:
            raise ValueError(f"unknown status {sorted(unknown)}; use {sorted(STATUSES)}")
        return self

    @property
    def statuses(self) -> list[str] | None:
        return self.status.split(",") if self.status else None


def outcome(state: str | None, breached: Any, met: Any) -> str:
    """met, breached, stopped (solved before a reply), running, paused, or empty (no target)."""
    if state is None:
        return ""
    if breached is not None:
        return "breached"
    if state == "done":
        return "met" if met is not None else "stopped"
    return str(state)


def _safe(value: Any) -> Any:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _row(r: Any) -> list[Any]:
    replied = r["first_replied_at"]
    first_s = (replied - r["created_at"]).total_seconds() if replied else None
    return [_safe(v) for v in (
        r["id"], r["brand_id"], r["queue"], r["channel"], r["status"], r["priority"],
        _iso(r["created_at"]), _iso(r["first_replied_at"]),
        round(first_s, 1) if first_s is not None else "", _iso(r["solved_at"]),
        r["assignee_id"] or "", r["assignee"] or "", _iso(r["fr_due"]),
        outcome(r["fr_state"], r["fr_breached"], r["fr_met"]), r["nr_met"], r["nr_breached"],
        _iso(r["rs_due"]), outcome(r["rs_state"], r["rs_breached"], r["rs_met"]),
        round(r["paused_s"], 1),
    )]  # fmt: skip


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


async def tickets_csv(request: web.Request) -> web.StreamResponse:
    query = parse_query(request, ReportQuery)
    name = f"tickets-{query.from_:%Y%m%d}-{query.to:%Y%m%d}.csv"
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{name}"',
    })  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    async with db.connection(request.app[keys.POOL]) as conn, conn.transaction():
        cursor = conn.cursor(
            _TICKETS, query.from_, query.to, query.brand_id, query.queue_id, query.channel,
            query.statuses, prefetch=FLUSH_ROWS,
        )  # fmt: skip
        await response.prepare(request)
        rows = 0
        async for record in cursor:
            writer.writerow(_row(record))
            rows += 1
            if rows % FLUSH_ROWS == 0:
                await response.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
    await response.write(buffer.getvalue().encode())
    await response.write_eof()
    return response
