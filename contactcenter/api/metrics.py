"""Handlers for the board's figures (/api/v1/metrics/*) and Prometheus' /metrics."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import UUID

from aiohttp import web
from pydantic import Field, model_validator

from contactcenter import board, keys, telemetry
from contactcenter.api.http import json_response, parse_query
from contactcenter.api.schemas import In
from contactcenter.coverage import planner
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.store import catalog, db
from contactcenter.store.queries import q

MAX_PERIOD = timedelta(days=93)


class MetricsQuery(In):
    brand_id: UUID | None = None
    from_: datetime | None = Field(
        default=None, alias="from", description="default: today 00:00 UTC"
    )
    to: datetime | None = Field(default=None, description="default: now")

    @model_validator(mode="after")
    def _period(self) -> MetricsQuery:
        for name in ("from_", "to"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name.rstrip('_')} needs a time zone, e.g. 2026-11-30T00:00:00Z")
        return self

    def period(self, now: datetime) -> tuple[datetime, datetime]:
        end = self.to or now
        start = self.from_ or end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        if end <= start:
            raise ApiError(ErrorCode.VALIDATION_FAILED, "`from` must be before `to`.")
        if end - start > MAX_PERIOD:
            raise ApiError(
                ErrorCode.VALIDATION_FAILED,
                "The period is longer than 93 days; export longer periods with "
                "GET /api/v1/reports/tickets.csv.",
            )
        return start, end


class QueueMetricsQuery(MetricsQuery):
    interval: int | None = Field(default=None, description="minutes per interval: 15 or 30")
    group_by: Literal["queue", "channel", "brand"] = "queue"

    @model_validator(mode="after")
    def _interval(self) -> QueueMetricsQuery:
        if self.interval not in (None, 15, 30):
            raise ValueError("interval must be 15 or 30 (minutes)")
        return self


class SlaMetricsQuery(MetricsQuery):
    group_by: Literal["queue", "channel", "priority", "brand", "agent"] = "queue"


def _envelope(start: datetime, end: datetime, body: dict[str, object]) -> dict[str, object]:
    return {"from": start.isoformat(), "to": end.isoformat()} | body


async def queue_metrics(request: web.Request) -> web.Response:
    query = parse_query(request, QueueMetricsQuery)
    now = datetime.now(UTC)
    start, end = query.period(now)
    interval_s = (query.interval or 0) * 60
    if interval_s:  # intervals start on the quarter hour, like the rollups' buckets
        start = board.floor15(start)
    async with db.connection(request.app[keys.POOL]) as conn:
        items = await board.queues(
            conn, query.brand_id, start, end, interval_s, query.group_by, now
        )
    return json_response(_envelope(start, end, {"group_by": query.group_by, "items": items}))


async def sla_metrics(request: web.Request) -> web.Response:
    query = parse_query(request, SlaMetricsQuery)
    start, end = query.period(datetime.now(UTC))
    async with db.connection(request.app[keys.POOL]) as conn:
        items = await board.sla(conn, query.brand_id, start, end, query.group_by)
    return json_response(_envelope(start, end, {"group_by": query.group_by, "items": items}))


async def agent_metrics(request: web.Request) -> web.Response:
    query = parse_query(request, MetricsQuery)
    now = datetime.now(UTC)
    start, end = query.period(now)
    async with db.connection(request.app[keys.POOL]) as conn:
        figures = await board.agents(conn, query.brand_id, start, end, now)
    return json_response(_envelope(start, end, figures))


class CoverageQuery(In):
    queue_id: UUID
    from_: datetime | None = Field(default=None, alias="from", description="default: now")
    to: datetime | None = Field(default=None, description="default: 14 days after from")
    interval: int = Field(default=30, description="minutes: 15, 30 or 60 (a forecast's wins)")

    @model_validator(mode="after")
    def _check(self) -> CoverageQuery:
        if self.interval not in (15, 30, 60):
            raise ValueError("interval must be 15, 30 or 60 (minutes)")
        for value in (self.from_, self.to):
            if value is not None and value.tzinfo is None:
                raise ValueError("from and to need a time zone, e.g. 2026-12-01T00:00:00Z")
        return self


async def coverage(request: web.Request) -> web.Response:
    """Agents needed vs scheduled per interval for one queue (default: the next 14 days)."""
    query = parse_query(request, CoverageQuery)
    start = query.from_ or datetime.now(UTC)
    end = query.to or start + timedelta(days=14)
    if not timedelta(0) < end - start <= timedelta(days=31):
        raise ApiError(
            ErrorCode.VALIDATION_FAILED, "`to` must be after `from`, at most 31 days later."
        )
    async with db.connection(request.app[keys.POOL]) as conn:
        queue = await catalog.get_queue(conn, query.queue_id)
        if queue is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"No queue with id {query.queue_id}.")
        result = await planner.plan(conn, queue, start, end, query.interval)
    return json_response(planner.as_json(result))


_GAUGES = q("metrics.prometheus_gauges")


async def prometheus(request: web.Request) -> web.Response:
    """Prometheus text format. With CC_METRICS_TOKEN set, scrapes need it as a bearer token."""
    token = request.app[keys.SETTINGS].metrics_token
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), token.encode()):
            raise ApiError(
                ErrorCode.UNAUTHENTICATED,
                "Send the metrics token (CC_METRICS_TOKEN) as 'Authorization: Bearer <token>'.",
            )
    shared = await telemetry.read(request.app[keys.REDIS])
    gauges: list[tuple[str, str, dict[str, str], float]] = []
    async with db.connection(request.app[keys.POOL]) as conn:
        for row in await conn.fetch(_GAUGES):
            gauges.append((row["name"], row["help"], dict(row["labels"]), float(row["value"])))
    body = telemetry.render(shared, gauges)
    return web.Response(text=body, content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})  # fmt: skip
