"""Targets, summary text and the JSON results file for bench/routing.py."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import report

BUSY_PCT = report.BUSY_PCT  # % of a core (or of the machine) that counts as busy

# (name, part, path to the value, limit, higher is better)
TARGETS = [
    ("decisions/s in one worker process", "decisions", ("decisions_per_s",), 2000.0, True),
    ("agents over capacity + tickets with 2 pending offers", "decisions",
     ("verification", "violations"), 0, False),
    ("webhook -> offer p99 at 200 msg/s (ms)", "latency",
     ("latency", "send_to_offer", "p99_ms"), 250.0, False),
    ("tickets without an offer", "latency", ("latency", "not_offered"), 0, False),
]  # fmt: skip


def judge(parts: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the parts that ran, with its value and verdict."""
    out = []
    for name, part, path, limit, higher in TARGETS:
        if part not in parts:
            continue
        value: Any = parts[part]
        for key in path:
            value = value[key]
        ok = value >= limit if higher else value <= limit
        out.append({"name": name, "value": value, "limit": limit, "higher_is_better": higher,
                    "pass": ok})  # fmt: skip
    return out


def notes(parts: dict[str, Any], pinned: bool) -> list[str]:
    """Caveats that change how the numbers read."""
    out = []
    if "decisions" in parts:
        real = parts["decisions"]["persisted"]
        if real["worker_cpu_pct"] < BUSY_PCT:
            out.append(
                f"decisions: the worker process used {real['worker_cpu_pct']:.0f}% of a core: "
                "it spent the rest waiting for PostgreSQL and Redis round trips"
            )
    if "latency" in parts:
        lat = parts["latency"]
        if lat["http"]["late_over_5ms"] > 0.01 * max(1, lat["http"]["sent"]):
            out.append("latency: the generator missed its schedule for >1% of requests")
        if lat["latency"]["not_stored"]:
            out.append("latency: some sent webhooks left no message (non-200 or lost)")
        if lat["cpu"]["machine_busy_pct"] >= BUSY_PCT:
            out.append("latency: both cores were busy: the machine, not one process, was the limit")
    if not pinned:
        out.append("processes were not pinned to cores (taskset or 2 usable cores missing)")
    return out


def assemble(
    config: dict[str, Any], host: dict[str, Any], parts: dict[str, Any], started: float
) -> dict[str, Any]:
    """All results in one dict, with each target judged."""
    return {
        "benchmark": "routing",
        "started_at": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "wall_s": round(datetime.now(UTC).timestamp() - started, 1),
        "git": report.git(),
        "machine": host | {"loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "config": config,
        "targets": judge(parts),
        "notes": notes(parts, config["pinned"]),
        **parts,
    }


def write(results: dict[str, Any], directory: Path) -> Path:
    """Write results to <directory>/routing-<UTC timestamp>.json and return the path."""
    return report.write(results, directory, "routing")


def sql_line(diag: dict[str, Any]) -> str:
    """Offers per creating transaction and the routing functions' calls and times."""
    tx, funcs = diag["offer_transactions"], diag["functions"]
    timing = "; ".join(
        f"{name} {f['calls']:,} calls, {f['total_ms']:,.0f} ms (self {f['self_ms']:,.0f} ms)"
        for name, f in sorted(funcs.items())
    )
    if not diag["function_timing"]:
        timing = "function timing unavailable (track_functions needs a superuser)"
    return (
        f"  sql: {tx['transactions']:,} transactions created offers (median "
        f"{tx['median_offers']}, max {tx['max_offers']} each); {timing}"
    )


def decision_lines(d: dict[str, Any]) -> list[str]:
    """Summary of part A."""
    real, pure, check = d["persisted"], d["pure"], d["verification"]
    b = real["breakdown"]
    return [
        f"A. decisions: {d['agents']:,} agents x {d['queues']} queues, {d['tickets']:,} waiting "
        f"tickets, {d['slots']:,} slots (at most {d['max_offers']:,} offers); set-up "
        f"{d['setup_s']} s",
        f"  persisted (route_queue in this process): {real['offers']:,} offers in "
        f"{real['productive_s']:.2f} s -> {d['decisions_per_s']:,.0f} decisions/s "
        f"(rounds {real['rounds']}, {real['calls']} calls, {real['total_s']:.2f} s with the "
        f"last empty round)",
        f"    time: snapshot {b['snapshot_s']:.2f} s, plan {b['plan_s']:.2f} s, create_offers "
        f"{b['create_offers_s']:.2f} s, Redis announce {b['announce_s']:.2f} s, other "
        f"{b['other_s']:.2f} s",
        f"    cpu (% of a core): worker {real['worker_cpu_pct']:.0f}, other processes "
        f"{real['other_cpu_pct']:.0f}; machine {real['machine_busy_pct']:.0f}% busy",
        f"  pure decide.plan, same snapshot, in memory: {pure['offers']:,} offers in "
        f"{pure['seconds']:.3f} s -> {pure['offers_per_s']:,.0f} offers/s, "
        f"{pure['plans_per_s']:,.1f} plans/s (best of {pure['reps']}: {pure['all_seconds']})",
        f"  ratio persisted/pure: {d['ratio_persisted_to_pure']:.3f}",
        f"  verify: {check['offers']:,} offers ({check['pending']:,} pending, "
        f"{check['tickets_offered']:,} tickets offered); max pending per agent "
        f"{check['max_per_agent']}, agents over capacity {check['agents_over_capacity']}, "
        f"tickets with 2+ pending offers {check['tickets_double_offered']}",
        sql_line(d["sql"]),
    ]


def latency_lines(d: dict[str, Any]) -> list[str]:
    """Summary of part B."""
    http, lat, cpu = d["http"], d["latency"], d["cpu"]
    cores = (
        f"serve core {d['serve_core']}, worker core {d['worker_core']}"
        if d["serve_core"] is not None
        else "serve and worker not pinned"
    )
    s, t = lat["send_to_offer"], lat["ticket_to_offer"]
    return [
        f"B. latency: {d['rate_per_s']} msg/s for {http['duration_s']:g} s, each a new sender; "
        f"{d['agents']} agents x capacity {d['chat_capacity']}; {cores}",
        f"  http: sent {http['sent']:,} ({http['sent_per_s']:,.0f}/s), ok {http['ok']:,}, "
        f"non-200 {http['non_200']}; ack p50 {http['ack_p50_ms']} ms, p99 "
        f"{http['ack_p99_ms']} ms; missed schedule by >5 ms: {http['late_over_5ms']}",
        f"  tickets {lat['tickets']:,} of {lat['sent']:,} sent (messages stored {lat['stored']:,}"
        f"), offered {lat['offered']:,}, no offer {lat['not_offered']} after waiting "
        f"{d['straggler_wait_s']} s",
        f"  send -> offer:   p50 {s['p50_ms']}  p90 {s['p90_ms']}  p99 {s['p99_ms']}  "
        f"max {s['max_ms']} ms",
        f"  ticket -> offer: p50 {t['p50_ms']}  p90 {t['p90_ms']}  p99 {t['p99_ms']}  "
        f"max {t['max_ms']} ms",
        f"  send -> offer p50 by second of the run: {lat['send_to_offer_p50_by_second']}",
        f"  cpu (% of a core): serve {cpu['serve_cpu_pct']:.0f}, worker "
        f"{cpu['worker_cpu_pct']:.0f}, generator {cpu['generator_cpu_pct']:.0f}, other "
        f"{cpu['other_cpu_pct']:.0f}; machine {cpu['machine_busy_pct']:.0f}% busy",
        sql_line(d["sql"]),
        f"  log lines (warning+): {d['log_lines']}",
    ]


def summary(r: dict[str, Any]) -> str:
    """A compact human-readable report."""
    m, cfg = r["machine"], r["config"]
    lines = [
        f"routing benchmark  {r['started_at']}  commit {r['git']['commit']}"
        f"{' (dirty)' if r['git']['dirty'] else ''}  wall {r['wall_s']} s",
        f"machine: {m['nproc']} cores, {m['cpu_model']}, Python {m['python']}, load avg "
        f"{m['loadavg_at_start'][0]} -> {m['loadavg_at_end'][0]}; this process on core "
        f"{cfg['bench_core']}",
        "",
    ]
    if "decisions" in r:
        lines += [*decision_lines(r["decisions"]), ""]
    if "latency" in r:
        lines += [*latency_lines(r["latency"]), ""]
    lines.append("targets:")
    for t in r["targets"]:
        op = ">=" if t["higher_is_better"] else "<="
        lines.append(f"  {'PASS' if t['pass'] else 'FAIL'}  {t['name']}: {t['value']} {op} "
                     f"{t['limit']}")  # fmt: skip
    if r["notes"]:
        lines += ["", "notes:", *(f"  - {n}" for n in r["notes"])]
    return "\n".join(lines)
