"""`contactcenter coverage --queue NAME --days 14`: the coverage heatmap in a terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from contactcenter.coverage import heatmap, planner
from contactcenter.store import catalog, db
from contactcenter.store.queries import q

_NAMED = q("metrics.queues_named")


async def report(
    dsn: str, queue_name: str, brand: str | None, days: int, interval: int, *, color: bool,
    as_json: bool,
) -> str:  # fmt: skip
    conn = await db.connect(dsn)
    try:
        rows = await conn.fetch(_NAMED, queue_name, brand)
        if not rows:
            raise SystemExit(
                f"No queue named {queue_name!r}" + (f" in brand {brand!r}." if brand else ".")
            )
        if len(rows) > 1:
            brands = ", ".join(r["brand"] for r in rows)
            raise SystemExit(f"Several brands have a queue named {queue_name!r} ({brands}); "
                             "add --brand NAME.")  # fmt: skip
        queue = await catalog.get_queue(conn, rows[0]["id"])
        if queue is None:  # deleted meanwhile
            raise SystemExit(f"No queue named {queue_name!r}.")
        start = datetime.now(UTC)
        plan = await planner.plan(conn, queue, start, start + timedelta(days=days), interval)
    finally:
        await conn.close()
    if as_json:
        return json.dumps(planner.as_json(plan), indent=2)
    title = (f"{queue.name}: agents on shift minus agents needed, {plan.interval_min}-minute "
             f"intervals, {plan.timezone} ({plan.method}, {plan.source}: AHT {plan.aht_s:.0f} s, "
             f"{plan.concurrency} at once; {plan.sl_target:.0%} in {plan.sl_threshold_s} s; "
             f"shrinkage {queue.shrinkage:.0%})")  # fmt: skip
    return heatmap.render(planner.cells(plan), color=color, title=title)
