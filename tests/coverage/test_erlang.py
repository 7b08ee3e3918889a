"""Erlang C staffing: the ANCHORS.md worked example, exact references, large N, edges, bad input."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from contactcenter.coverage.erlang import (
    agents_needed,
    asa,
    p_wait,
    scheduled,
    service_level,
    workload_agents,
)

# ANCHORS.md "Erlang C": 360 contacts per 30 min, AHT 240 s, 80 % answered within 20 s.
ARRIVALS, INTERVAL_S, AHT_S, TARGET, THRESHOLD_S = 360, 1800, 240, 0.8, 20
TRAFFIC = 48  # 360 / 1800 s · 240 s


def exact_p_wait(traffic: int, agents: int) -> Fraction:
    """Erlang C straight from the textbook formula, in exact rational arithmetic."""
    a = Fraction(traffic)
    top = a**agents / math.factorial(agents)
    below = sum(a**k / math.factorial(k) for k in range(agents))
    return top / (top + (1 - a / agents) * below)


def log_space_p_wait(traffic: float, agents: int) -> float:
    """Erlang C with every term as a logarithm (lgamma for k!) and a log-sum-exp."""
    log_terms = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents + 1)]
    log_top = log_terms[-1] - math.log1p(-traffic / agents)  # (A^N/N!) / (1 - rho)
    peak = max(max(log_terms[:-1]), log_top)
    below = sum(math.exp(term - peak) for term in log_terms[:-1])
    top = math.exp(log_top - peak)
    return top / (top + below)


def test_worked_example_needs_54_agents_and_schedules_78() -> None:
    """The anchor's check: 54 agents on the phones, 78 scheduled at 30 % shrinkage."""
    needed = agents_needed(ARRIVALS, INTERVAL_S, AHT_S, TARGET, THRESHOLD_S)
    assert needed == 54
    assert scheduled(needed, 0.3) == 78


@pytest.mark.parametrize(
    ("agents", "expected_sl", "expected_asa"),
    [
        # Rounded from the exact references below; kept as literals so a reader sees the numbers.
        (53, 0.7518, 18.07),
        (54, 0.8172, 12.05),
    ],
)
def test_worked_example_matches_exact_factorial_formula(
    agents: int, expected_sl: float, expected_asa: float
) -> None:
    """P(wait), service level and ASA at 53 and 54 agents agree with exact rational arithmetic."""
    exact = exact_p_wait(TRAFFIC, agents)
    exact_sl = 1 - float(exact) * math.exp(-(agents - TRAFFIC) * THRESHOLD_S / AHT_S)
    exact_asa = float(exact * AHT_S / (agents - TRAFFIC))

    assert p_wait(TRAFFIC, agents) == pytest.approx(float(exact), rel=1e-12)
    assert service_level(TRAFFIC, agents, AHT_S, THRESHOLD_S) == pytest.approx(exact_sl, rel=1e-12)
    assert asa(TRAFFIC, agents, AHT_S) == pytest.approx(exact_asa, rel=1e-12)
    assert exact_sl == pytest.approx(expected_sl, abs=5e-5)
    assert exact_asa == pytest.approx(expected_asa, abs=5e-3)


def test_54_is_the_least_agents_by_the_exact_formula() -> None:
    """By the exact formula 53 agents miss 80/20 and 54 meet it, so 54 is the true minimum."""
    sl = {
        n: 1 - float(exact_p_wait(TRAFFIC, n)) * math.exp(-(n - TRAFFIC) * THRESHOLD_S / AHT_S)
        for n in (53, 54)
    }
    assert sl[53] < TARGET <= sl[54]


@pytest.mark.parametrize(("traffic", "agents"), [(1, 2), (7, 10), (150, 165), (200, 230)])
def test_p_wait_matches_exact_formula_past_the_float_factorial_limit(
    traffic: int, agents: int
) -> None:
    """Agreement with exact arithmetic holds for small N and past N ≈ 170, where 1/N! underflows."""
    assert p_wait(traffic, agents) == pytest.approx(float(exact_p_wait(traffic, agents)), rel=1e-10)


def test_large_traffic_does_not_overflow_and_is_sane() -> None:
    """1,500 erlangs: a finite answer a little above the traffic, and it is the least that works."""
    arrivals = 1500 * INTERVAL_S / AHT_S  # 11,250 contacts per half hour
    needed = agents_needed(arrivals, INTERVAL_S, AHT_S, TARGET, THRESHOLD_S)

    assert 1500 < needed < 1600
    assert service_level(1500, needed, AHT_S, THRESHOLD_S) >= TARGET
    assert service_level(1500, needed - 1, AHT_S, THRESHOLD_S) < TARGET
    assert p_wait(1500, needed) == pytest.approx(log_space_p_wait(1500, needed), rel=1e-9)
    assert 0 < asa(1500, needed, AHT_S) < math.inf


def test_service_level_rises_and_asa_falls_with_each_agent() -> None:
    """More agents never make the queue worse."""
    levels = [service_level(TRAFFIC, n, AHT_S, THRESHOLD_S) for n in range(49, 70)]
    waits = [asa(TRAFFIC, n, AHT_S) for n in range(49, 70)]
    assert levels == sorted(levels)
    assert waits == sorted(waits, reverse=True)


def test_zero_arrivals_need_no_agents() -> None:
    """An empty interval needs nobody, by either model."""
    assert agents_needed(0, INTERVAL_S, AHT_S, TARGET, THRESHOLD_S) == 0
    assert workload_agents(0, 3600, 600) == 0


@pytest.mark.parametrize(("traffic", "agents"), [(5.0, 5), (5.5, 5), (48.0, 0), (0.0, 0)])
def test_too_few_agents_means_everyone_waits(traffic: float, agents: int) -> None:
    """With agents <= traffic the queue never clears: P(wait) 1, service level 0, ASA infinite."""
    assert p_wait(traffic, agents) == 1.0
    assert service_level(traffic, agents, AHT_S, THRESHOLD_S) == 0.0
    assert asa(traffic, agents, AHT_S) == math.inf


def test_no_traffic_means_nobody_waits() -> None:
    """With agents and no traffic, nobody waits."""
    assert p_wait(0.0, 3) == 0.0
    assert service_level(0.0, 3, AHT_S, THRESHOLD_S) == 1.0
    assert asa(0.0, 3, AHT_S) == 0.0


@pytest.mark.parametrize(
    ("max_occupancy", "expected"),
    [
        (1.0, 54),  # the service level decides
        (0.95, 54),  # 48 / 0.95 → 51: still the service level
        (0.85, 57),  # 48 / 0.85 → 56.5: the occupancy cap decides
        (0.8, 60),  # 48 / 0.8 is 60 exactly, not 61 through float noise
    ],
)
def test_max_occupancy_binds_when_stricter_than_service_level(
    max_occupancy: float, expected: int
) -> None:
    """The answer is the larger of the service-level minimum and ⌈A / max occupancy⌉."""
    needed = agents_needed(ARRIVALS, INTERVAL_S, AHT_S, TARGET, THRESHOLD_S, max_occupancy)
    assert needed == expected
    assert TRAFFIC / needed <= max_occupancy


@pytest.mark.parametrize(
    ("arrivals", "interval_s", "aht_s", "max_occupancy", "expected"),
    [
        (120, 3600, 360, 1.0, 12),  # 12 agent-hours of work in one hour
        (120, 3600, 360, 0.8, 15),  # 12 / 0.8 is 15, not 16 through float noise
        (121, 3600, 360, 1.0, 13),  # any remainder needs another agent
        (1, 3600, 60, 1.0, 1),
    ],
)
def test_workload_agents_is_work_over_productive_time(
    arrivals: float, interval_s: float, aht_s: float, max_occupancy: float, expected: int
) -> None:
    """E-mail staffing rounds the workload up to whole agents."""
    assert workload_agents(arrivals, interval_s, aht_s, max_occupancy) == expected


@pytest.mark.parametrize(
    ("needed", "shrinkage", "expected"),
    [(54, 0.3, 78), (70, 0.3, 100), (10, 0.0, 10), (0, 0.5, 0), (1, 0.01, 2), (3, 0.5, 6)],
)
def test_scheduled_rounds_up_but_not_on_float_noise(
    needed: int, shrinkage: float, expected: int
) -> None:
    """⌈needed / (1 - shrinkage)⌉, where 70 / 0.7 counts as exactly 100."""
    assert scheduled(needed, shrinkage) == expected


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"arrivals": -1}, "arrivals"),
        ({"arrivals": math.nan}, "arrivals"),
        ({"interval_s": 0}, "interval_s"),
        ({"aht_s": 0}, "aht_s"),
        ({"aht_s": -240}, "aht_s"),
        ({"target": 0.0}, "target"),
        ({"target": 1.0}, "target"),
        ({"target": 80}, "target"),
        ({"threshold_s": -1}, "threshold_s"),
        ({"max_occupancy": 0.0}, "max_occupancy"),
        ({"max_occupancy": 1.2}, "max_occupancy"),
        ({"arrivals": 1e12}, "traffic"),
    ],
)
def test_agents_needed_rejects_nonsense(overrides: dict[str, float], message: str) -> None:
    """Each impossible argument fails with a ValueError that names it."""
    arguments: dict[str, float] = {
        "arrivals": ARRIVALS,
        "interval_s": INTERVAL_S,
        "aht_s": AHT_S,
        "target": TARGET,
        "threshold_s": THRESHOLD_S,
    } | overrides
    with pytest.raises(ValueError, match=message):
        agents_needed(**arguments)


def test_other_functions_reject_nonsense() -> None:
    """The building blocks validate their input too."""
    with pytest.raises(ValueError, match="traffic"):
        p_wait(-1.0, 3)
    with pytest.raises(ValueError, match="agents"):
        p_wait(1.0, -3)
    with pytest.raises(ValueError, match="aht_s"):
        service_level(1.0, 3, 0, 20)
    with pytest.raises(ValueError, match="threshold_s"):
        service_level(1.0, 3, 240, -20)
    with pytest.raises(ValueError, match="aht_s"):
        asa(1.0, 3, -1)
    with pytest.raises(ValueError, match="arrivals"):
        workload_agents(-5, 3600, 600)
    with pytest.raises(ValueError, match="max_occupancy"):
        workload_agents(5, 3600, 600, max_occupancy=0)
    with pytest.raises(ValueError, match="shrinkage"):
        scheduled(5, 1.0)
    with pytest.raises(ValueError, match="shrinkage"):
        scheduled(5, -0.1)
    with pytest.raises(ValueError, match="needed"):
        scheduled(-1, 0.3)
