"""Counters and histograms shared by every process, kept in one Redis hash, for Prometheus.

N web and N worker processes each count what they do; Prometheus scrapes any one web process,
so the numbers must be shared: each process adds to fields of the hash `cc:metrics` (one
pipelined round trip per batch, never on the request path) and `/metrics` reads them back.
Losing Redis resets the counters, which Prometheus' rate() treats as a restart.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

from redis.asyncio import Redis

from contactcenter import logs

log = logs.get_logger(__name__)

KEY = "cc:metrics"
# Seconds: from 5 ms (a routing pass) to 10 min (an offer waiting for an agent).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0)

HELP = {
    "cc_ingest_messages_total": ("counter", "Inbound messages stored, by channel"),
    "cc_ingest_duplicates_total": ("counter", "Inbound messages already stored (dropped)"),
    "cc_route_pass_seconds": ("histogram", "Duration of one routing pass over a queue"),
    "cc_offer_wait_seconds": ("histogram", "Time from entering the queue to the first offer"),
    "cc_sla_fired_total": ("counter", "SLA warnings (stage >= 1) and breaches (stage 0) recorded"),
}


def _field(name: str, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}" if inner else name


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Batch:
    """Increments gathered in memory, written with one pipelined round trip."""

    def __init__(self) -> None:
        self.ints: dict[str, int] = defaultdict(int)
        self.floats: dict[str, float] = defaultdict(float)

    def count(self, name: str, n: int = 1, **labels: str) -> None:
        if n:
            self.ints[_field(name, labels)] += n

    def observe(self, name: str, values: Iterable[float], **labels: str) -> None:
        for value in values:
            at = bisect.bisect_left(BUCKETS, value)
            for le in BUCKETS[at:]:
                self.ints[_field(f"{name}_bucket", labels | {"le": repr(le)})] += 1
            self.ints[_field(f"{name}_bucket", labels | {"le": "+Inf"})] += 1
            self.ints[_field(f"{name}_count", labels)] += 1
            self.floats[_field(f"{name}_sum", labels)] += value

    async def flush(self, redis: Redis) -> None:
        """Write and forget; a Redis error is logged (metrics never fail the work they count).
        What is counted while the write is in flight goes into fresh dicts, not lost."""
        if not (self.ints or self.floats):
            return
        ints, floats = self.ints, self.floats
        self.ints, self.floats = defaultdict(int), defaultdict(float)
        try:
            async with redis.pipeline(transaction=False) as pipe:
                for f, n in ints.items():
                    pipe.hincrby(KEY, f, n)
                for f, x in floats.items():
                    pipe.hincrbyfloat(KEY, f, x)
                await pipe.execute()
        except Exception:
            log.warning("telemetry.flush_failed", exc_info=True)


async def read(redis: Redis) -> dict[str, float]:
    raw: dict[bytes, bytes] = await redis.hgetall(KEY)  # type: ignore[misc]
    return {k.decode(): float(v) for k, v in raw.items()}


def render(shared: dict[str, float], gauges: list[tuple[str, str, dict[str, str], float]]) -> str:
    """Prometheus text format 0.0.4: shared counters/histograms, then gauges read now.

    `gauges` are (name, help, labels, value)."""
    lines: list[str] = []
    for name, (kind, text) in HELP.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
        series = sorted(
            (k, v) for k, v in shared.items()
            if k == name or k.startswith((f"{name}{{", f"{name}_bucket", f"{name}_count",
                                          f"{name}_sum"))
        )  # fmt: skip
        lines += [f"{k} {_number(v)}" for k, v in series]
    seen: set[str] = set()
    for name, text, labels, value in gauges:
        if name not in seen:
            seen.add(name)
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge"]
        lines.append(f"{_field(name, labels)} {_number(value)}")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
