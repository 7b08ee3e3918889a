"""Erlang C staffing: how many agents an interval needs to meet a service level. Pure, stdlib only.

With λ arrivals per second and average handle time AHT (s), the offered traffic is A = λ·AHT
erlangs; with N agents the occupancy is rho = A/N, and the queue is stable only for N > A
(ANCHORS.md "Erlang C"):

- P(wait) = (A^N/N!) / (A^N/N! + (1-rho)·Σ_{k<N} A^k/k!)
- service level(t) = 1 - P(wait)·e^{-(N-A)·t/AHT}, the share answered within t seconds
- ASA = P(wait)·AHT/(N-A), the mean wait before an answer

A^N/N! overflows a float past N ≈ 170, so P(wait) is computed from the Erlang B recursion
B(0) = 1, B(k) = A·B(k-1)/(k + A·B(k-1)), whose terms all lie in [0, 1], and then
C = N·B/(N - A·(1 - B)). That is N steps and never overflows; `agents_needed` walks N upwards
reusing B, so 1,500 erlangs cost about 1,600 steps.

Erlang C assumes nobody abandons, so it overstaffs slightly. For e-mail-like channels, whose
targets are hours rather than seconds, staffing is workload over productive time:
`workload_agents`.
"""

from __future__ import annotations

import math

# Each step of the recursion is one agent. No single interval of a contact centre offers a
# hundred thousand erlangs; past that a typo (arrivals per day given as per second) would make
# `agents_needed` spin for seconds instead of failing at once.
MAX_TRAFFIC = 100_000.0

# Relative slack when rounding up: 70 / (1 - 0.3) is 100.00000000000001 in binary floating point
# and must schedule 100 agents, not 101.
ROUNDING_SLACK = 1e-9


def p_wait(traffic: float, agents: int) -> float:
    """Erlang C: the probability that a contact waits (all `agents` busy on arrival).

    1.0 when agents <= traffic: the queue then grows without bound and everyone waits.
    Raises ValueError for negative, infinite or implausibly large traffic or negative agents.
    """
    _check_traffic(traffic)
    _check_agents(agents)
    if agents <= traffic:
        return 1.0
    return _erlang_c(traffic, agents, _erlang_b(traffic, agents))


def service_level(traffic: float, agents: int, aht_s: float, threshold_s: float) -> float:
    """Share of contacts answered within `threshold_s`: 1 - P(wait)·e^{-(N-A)·t/AHT}.

    0.0 when agents <= traffic. Raises ValueError on nonsense input.
    """
    _check_positive("aht_s", aht_s)
    _check_non_negative("threshold_s", threshold_s)
    waits = p_wait(traffic, agents)
    if agents <= traffic:
        return 0.0
    return _service_level(traffic, agents, waits, aht_s, threshold_s)


def asa(traffic: float, agents: int, aht_s: float) -> float:
    """Average speed of answer in seconds: P(wait)·AHT/(N-A).

    math.inf when agents <= traffic. Raises ValueError on nonsense input.
    """
    _check_positive("aht_s", aht_s)
    waits = p_wait(traffic, agents)
    if agents <= traffic:
        return math.inf
    return waits * aht_s / (agents - traffic)


def agents_needed(
    arrivals: float,
    interval_s: float,
    aht_s: float,
    target: float,
    threshold_s: float,
    max_occupancy: float = 1.0,
) -> int:
    """The least N with service_level ≥ `target` (answered within `threshold_s`) and A/N ≤
    `max_occupancy`, for `arrivals` contacts in an interval of `interval_s` seconds.

    0 when nothing arrives. These are agents on the phones; `scheduled` adds shrinkage.
    Raises ValueError on nonsense input: negative arrivals, a non-positive interval or AHT,
    a target outside (0, 1), a negative threshold, an occupancy cap outside (0, 1].
    """
    _check_workload(arrivals, interval_s, aht_s, max_occupancy)
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be a fraction strictly between 0 and 1, got {target!r}")
    _check_non_negative("threshold_s", threshold_s)
    if arrivals == 0:
        return 0
    traffic = arrivals / interval_s * aht_s
    _check_traffic(traffic)
    agents = max(math.floor(traffic) + 1, _ceil(traffic / max_occupancy))
    blocking = _erlang_b(traffic, agents)
    while True:
        waits = _erlang_c(traffic, agents, blocking)
        if _service_level(traffic, agents, waits, aht_s, threshold_s) >= target:
            return agents
        agents += 1
        blocking = traffic * blocking / (agents + traffic * blocking)


def workload_agents(
    arrivals: float, interval_s: float, aht_s: float, max_occupancy: float = 1.0
) -> int:
    """Agents for a deferrable channel (e-mail): ⌈arrivals·AHT / (interval·max_occupancy)⌉.

    The work done within the interval, spread over the agents' productive time; no queueing
    model, because a target of hours leaves no one waiting on a busy agent for long.
    Raises ValueError on nonsense input.
    """
    _check_workload(arrivals, interval_s, aht_s, max_occupancy)
    return _ceil(arrivals * aht_s / (interval_s * max_occupancy))


def scheduled(needed: int, shrinkage: float) -> int:
    """Agents to put on shift so that `needed` are working: ⌈needed / (1 - shrinkage)⌉.

    `shrinkage` is the share of paid time not spent handling contacts (breaks, training,
    meetings), in [0, 1). Raises ValueError otherwise, or for negative `needed`.
    """
    _check_agents(needed, name="needed")
    if not (math.isfinite(shrinkage) and 0.0 <= shrinkage < 1.0):
        raise ValueError(f"shrinkage must be a fraction in [0, 1), got {shrinkage!r}")
    return _ceil(needed / (1.0 - shrinkage))


def _erlang_b(traffic: float, agents: int) -> float:
    """Erlang B blocking probability by the stable recursion; stops early once it underflows."""
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
        if blocking == 0.0:
            break
    return blocking


def _erlang_c(traffic: float, agents: int, blocking: float) -> float:
    """Erlang C from Erlang B for the same traffic and agents (needs agents > traffic)."""
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def _service_level(
    traffic: float, agents: int, waits: float, aht_s: float, threshold_s: float
) -> float:
    return 1.0 - waits * math.exp(-(agents - traffic) * threshold_s / aht_s)


def _ceil(value: float) -> int:
    """math.ceil that ignores floating-point noise just above a whole number."""
    nearest = round(value)
    if math.isclose(value, nearest, rel_tol=ROUNDING_SLACK, abs_tol=ROUNDING_SLACK):
        return nearest
    return math.ceil(value)


def _check_workload(arrivals: float, interval_s: float, aht_s: float, max_occupancy: float) -> None:
    _check_non_negative("arrivals", arrivals)
    _check_positive("interval_s", interval_s)
    _check_positive("aht_s", aht_s)
    if not (math.isfinite(max_occupancy) and 0.0 < max_occupancy <= 1.0):
        raise ValueError(f"max_occupancy must be a fraction in (0, 1], got {max_occupancy!r}")


def _check_traffic(traffic: float) -> None:
    _check_non_negative("traffic", traffic)
    if traffic > MAX_TRAFFIC:
        raise ValueError(f"traffic of {traffic!r} erlangs exceeds {MAX_TRAFFIC:,.0f}; check units")


def _check_agents(agents: int, *, name: str = "agents") -> None:
    if agents < 0:
        raise ValueError(f"{name} must be zero or more, got {agents!r}")


def _check_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def _check_non_negative(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be zero or a positive number, got {value!r}")
