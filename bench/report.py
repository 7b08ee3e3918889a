"""Numbers, targets, summary text and the JSON results file for bench/ingest.py."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadgen import PhaseResult, percentile

ROOT = Path(__file__).resolve().parents[1]
BUSY_PCT = 90.0  # a process using this much of its core is the bottleneck
TARGETS = [  # (name, key in results, limit, higher is better)
    ("throughput contactcenter/bare", "ratio", 0.33, True),
    ("p99 at 1,000 msg/s (ms)", "p99_ms_at_rate", 50.0, False),
    ("web process peak RSS (MB)", "peak_rss_mb", 200.0, False),
    ("missing acknowledged", "missing", 0, False),
]


def machine() -> dict[str, Any]:
    """Cores, CPU model, Python and load average (other work on the box skews results)."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git() -> dict[str, Any]:
    """Short commit hash and whether tracked files differ from it."""

    def out(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": out("rev-parse", "--short", "HEAD") or "unknown",
        "dirty": bool(out("status", "--porcelain", "--untracked-files=no")),
    }


def bottleneck(generator_pct: float, server_pct: float, machine_pct: float) -> str:
    """Name what limited a phase, judged by CPU use."""
    pairs = (("generator", generator_pct), ("server", server_pct))
    busy = [name for name, pct in pairs if pct >= BUSY_PCT]
    if busy:
        return " and ".join(busy)
    if machine_pct >= BUSY_PCT:
        return "machine (all cores busy; see other_cpu_pct)"
    return "neither CPU-bound (waiting on I/O, e.g. PostgreSQL commits)"


def notes(bare: dict[str, Any], cc: dict[str, Any], pinned: bool) -> list[str]:
    """Caveats that change how the numbers read."""
    sat, fixed = cc["saturation"], cc["fixed_rate"]
    out = []
    if "generator" in bare["bottleneck"]:
        out.append(
            "bare baseline is generator-bound: the bare server can do more, so the ratio "
            "overstates contactcenter (read it as an upper bound)"
        )
    if "generator" in sat["bottleneck"]:
        out.append("contactcenter saturation is generator-bound: msg/s is a lower bound")
    if bare["other_cpu_pct"] > 10:
        out.append(
            f"other processes used {bare['other_cpu_pct']:.0f}% of a core during the bare phase "
            "(PostgreSQL is idle then): the machine is shared and the numbers are contended"
        )
    if fixed["late_over_5ms"] > 0.01 * max(1, fixed["sent"]):
        out.append("the generator missed its schedule for >1% of requests at the fixed rate")
    if sat["pool_exhausted"]:
        out.append(
            f"wrk used up the {sat['pool']:,} unique saturation webhooks and stopped early "
            "rather than resend one: msg/s is understated (the pool is sized from the bare rate)"
        )
    if bare["pool_exhausted"] or fixed["pool_exhausted"]:
        out.append("a phase ran out of pre-generated webhooks and ended early")
    if not pinned:
        out.append("processes were not pinned to cores (taskset or 2 usable cores missing)")
    return out


def _common(result: PhaseResult, usage: dict[str, float]) -> dict[str, Any]:
    """Counts and CPU figures every phase the Python generator drives reports."""
    generator_pct = 100 * result.gen_cpu_s / result.elapsed_s if result.elapsed_s else 0.0
    numbers: dict[str, Any] = {
        "generator": "python",
        "sent": result.sent,
        "ok": result.ok,
        "non_200": result.failed,
        "statuses": result.statuses,
        "elapsed_s": round(result.elapsed_s, 3),
        "pool_exhausted": result.exhausted,
    }
    return numbers | _cpu_numbers(generator_pct, usage)


def _cpu_numbers(generator_pct: float, usage: dict[str, float]) -> dict[str, Any]:
    """Generator, server and other CPU in % of one core, and the bottleneck they point to."""
    numbers: dict[str, Any] = {"generator_cpu_pct": round(generator_pct, 1)}
    if usage:
        numbers |= {k: round(v, 2) for k, v in usage.items()}
        # PostgreSQL, Redis and whatever else runs on the machine, in % of one core.
        other = 100 * usage["machine_busy_cores"] - usage["server_cpu_pct"] - generator_pct
        numbers["other_cpu_pct"] = round(max(0.0, other), 1)
        numbers["bottleneck"] = bottleneck(
            generator_pct, usage["server_cpu_pct"], usage["machine_busy_pct"]
        )
    return numbers


def saturation_wrk(result: dict[str, Any], usage: dict[str, float]) -> dict[str, Any]:
    """Closed-loop numbers from wrk (wrkload.phase_result): acknowledged per second, latency."""
    elapsed = result["elapsed_s"]
    numbers = {k: v for k, v in result.items() if k != "generator_cpu_pct"}
    numbers |= {
        "elapsed_s": round(elapsed, 3),
        "req_per_s": round(result["ok"] / elapsed, 1) if elapsed else 0.0,
        **{k: round(result[k], 2) for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms")},
    }
    return numbers | _cpu_numbers(result["generator_cpu_pct"], usage)


def fixed_rate(result: PhaseResult, usage: dict[str, float], rate: float) -> dict[str, Any]:
    """Open-loop numbers: latency from each request's scheduled send time."""
    lat = result.latencies_ms
    return _common(result, usage) | {
        "target_per_s": rate,
        "sent_per_s": round(result.sent / result.dispatch_s, 1) if result.dispatch_s else 0.0,
        "p50_ms": round(percentile(lat, 50), 2),
        "p90_ms": round(percentile(lat, 90), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "max_ms": round(max(lat, default=0.0), 2),
        "late_over_5ms": result.late,
        "connections_opened": result.connections_opened,
        "queued_at_cap": result.queued,
    }


def assemble(
    config: dict[str, Any],
    host: dict[str, Any],
    bare: dict[str, Any],
    cc: dict[str, Any],
    check: dict[str, Any],
    started: float,
) -> dict[str, Any]:
    """All results in one dict, with each target judged."""
    bare_rate, cc_rate = bare["req_per_s"], cc["saturation"]["req_per_s"]
    headline = {
        "msgs_per_s": cc_rate,
        "bare_req_per_s": bare_rate,
        "ratio": round(cc_rate / bare_rate, 3) if bare_rate else 0.0,
        "p50_ms_at_rate": cc["fixed_rate"]["p50_ms"],
        "p99_ms_at_rate": cc["fixed_rate"]["p99_ms"],
        "peak_rss_mb": cc["peak_rss_mb"],
        "missing": check["missing"],
        "log_level": config["log_level"],
    }
    targets = [
        {"name": name, "value": headline[key], "limit": limit, "higher_is_better": higher,
         "pass": headline[key] >= limit if higher else headline[key] <= limit}
        for name, key, limit, higher in TARGETS
    ]  # fmt: skip
    return {
        "benchmark": "ingest",
        "started_at": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "wall_s": round(datetime.now(UTC).timestamp() - started, 1),
        "git": git(),
        "machine": host | {"loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "config": config,
        "headline": headline,
        "targets": targets,
        "notes": notes(bare, cc, config["server_core"] is not None),
        "bare": bare,
        "contactcenter": cc,
        "verification": check,
    }


def write(results: dict[str, Any], directory: Path, name: str = "ingest") -> Path:
    """Write results to <directory>/<name>-<UTC timestamp>.json and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{name}-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def _cpu(p: dict[str, Any]) -> str:
    """CPU use during a phase, each in % of one core, and the verdict."""
    return (
        f"    cpu (% of a core): server {p['server_cpu_pct']:.0f}, generator "
        f"{p['generator_cpu_pct']:.0f}, other processes {p['other_cpu_pct']:.0f}; machine "
        f"{p['machine_busy_pct']:.0f}% busy -> bottleneck: {p['bottleneck']}"
    )


def _phase_lines(label: str, p: dict[str, Any], unit: str) -> list[str]:
    """Summary lines for a saturation phase driven by wrk."""
    errors = f", socket errors {p['socket_errors']}" if p["socket_errors"] else ""
    return [
        f"{label:<14}{p['req_per_s']:>9,.0f} {unit}  (wrk: p50 {p['p50_ms']:.1f} ms, p99 "
        f"{p['p99_ms']:.1f} ms, max {p['max_ms']:.1f} ms; ok {p['ok']:,}, non-200 "
        f"{p['non_200']}{errors} in {p['elapsed_s']:.1f} s)",
        _cpu(p),
    ]


def _pool_line(p: dict[str, Any]) -> str:
    """How much of the unique saturation pool wrk used."""
    flag = "  POOL EXHAUSTED: wrk stopped early" if p["pool_exhausted"] else ""
    return (
        f"    pool: {p['sent']:,} of {p['pool']:,} unique webhooks handed to wrk "
        f"({p['in_flight_at_stop']} in flight at stop){flag}"
    )


def _verification_lines(check: dict[str, Any]) -> list[str]:
    """The exact check (Python generator phases) and the count check (wrk saturation)."""
    exact, sat = check["exact"], check["saturation"]
    verdict = "ok" if sat["stored_of_sent"] >= sat["ok"] else f"SHORT BY {sat['short']}"
    return [
        f"verify warm-up + fixed rate (per wamid): acknowledged {exact['acknowledged']:,}, "
        f"found {exact['found']:,}, missing {exact['missing']}",
        f"verify saturation (wrk, by count): stored_of_sent {sat['stored_of_sent']:,} of "
        f"{sat['sent']:,} sent >= ok {sat['ok']:,}: {verdict}",
        f"tickets {check['tickets']:,}; missing acknowledged: {check['missing']}",
    ]


def summary(r: dict[str, Any]) -> str:
    """A compact human-readable report."""
    cfg, m, h = r["config"], r["machine"], r["headline"]
    fixed, check = r["contactcenter"]["fixed_rate"], r["verification"]
    pinning = (
        f"server core {cfg['server_core']}, generator core {cfg['generator_core']}"
        if cfg["server_core"] is not None
        else "NOT pinned (taskset or 2 usable cores missing)"
    )
    lines = [
        f"ingest benchmark  {r['started_at']}  commit {r['git']['commit']}"
        f"{' (dirty)' if r['git']['dirty'] else ''}  wall {r['wall_s']} s",
        f"machine: {m['nproc']} cores, {m['cpu_model']}, Python {m['python']}, load avg "
        f"{m['loadavg_at_start'][0]} -> {m['loadavg_at_end'][0]}",
        f"config: {cfg['duration_s']:g} s phases (wrk {cfg['wrk_duration_s']} s), saturation by "
        f"{cfg['saturation_generator']}, {cfg['senders']:,} senders, server log level "
        f"{cfg['log_level']}, {pinning}",
        "",
        *_phase_lines("bare aiohttp", r["bare"], "req/s"),
        *_phase_lines("contactcenter", r["contactcenter"]["saturation"], "msg/s"),
        _pool_line(r["contactcenter"]["saturation"]),
        f"ratio contactcenter/bare: {h['ratio']:.3f}",
        f"fixed {fixed['target_per_s']:,.0f}/s (open loop): sent {fixed['sent']:,} "
        f"({fixed['sent_per_s']:,.0f}/s), ok {fixed['ok']:,}, non-200 {fixed['non_200']}; "
        f"p50 {fixed['p50_ms']:.1f}  p90 {fixed['p90_ms']:.1f}  p99 {fixed['p99_ms']:.1f}  "
        f"max {fixed['max_ms']:.1f} ms; missed schedule by >5 ms: {fixed['late_over_5ms']}",
        _cpu(fixed),
        f"    generator: {cfg['python_generator']}, {cfg['fixed_rate_connections']} connections "
        f"open, {fixed['connections_opened']} more opened when none was idle (cap "
        f"{cfg['fixed_rate_max_connections']}), {fixed['queued_at_cap']} queued at the cap",
        f"web process peak RSS: {h['peak_rss_mb']:.1f} MB",
        *_verification_lines(check),
        "",
        "targets:",
    ]
    for t in r["targets"]:
        op = ">=" if t["higher_is_better"] else "<="
        verdict = "PASS" if t["pass"] else "FAIL"
        lines.append(f"  {verdict}  {t['name']}: {t['value']} {op} {t['limit']}")
    if r["notes"]:
        lines += ["", "notes:", *(f"  - {n}" for n in r["notes"])]
    return "\n".join(lines)
