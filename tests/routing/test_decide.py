"""Routing decisions, table-driven: order, eligibility, strategies, sticky, overflow, after hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from contactcenter.routing.decide import effective_priority, has_room, order, plan
from contactcenter.routing.model import Agent, OverflowStep, QueueRules, Ticket

NOW = datetime(2026, 12, 25, 3, 12, tzinfo=UTC)  # 03:12 on Christmas night
Q = UUID(int=1)
Q2 = UUID(int=2)


def queue(**kw: object) -> QueueRules:
    base = QueueRules(Q, {}, "longest_idle", 30, sticky_s=60, shift_end_drain_s=600)
    return replace(base, **kw)  # type: ignore[arg-type]


def ticket(n: int, *, age_s: int = 10, queued_s: int | None = None, **kw: object) -> Ticket:
    base = Ticket(n, Q, "chat", "normal", NOW - timedelta(seconds=age_s),
                  NOW - timedelta(seconds=queued_s if queued_s is not None else age_s))  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def agent(n: int, **kw: object) -> Agent:
    base = Agent(UUID(int=1000 + n), frozenset({Q}), {}, frozenset({"de", "en"}),
                 {"voice": 1, "chat": 2, "email": 5}, {}, shift_ends_at=NOW + timedelta(hours=4))  # fmt: skip
    for key, value in kw.items():
        setattr(base, key, value)
    return base


def offered(p: object) -> list[tuple[int, int]]:
    return [(o.ticket_id, o.agent_id.int - 1000) for o in p.offers]  # type: ignore[attr-defined]


def test_order_priority_then_sla_then_age_with_escalation() -> None:
    """Urgent first, then the earliest SLA deadline, then the oldest; old enough tickets climb."""
    q = queue(escalate_after_s=600)
    tickets = [
        ticket(1, age_s=60),
        ticket(2, age_s=30, priority="urgent"),
        ticket(3, age_s=20, sla_due_at=NOW + timedelta(minutes=5)),
        ticket(4, age_s=90),
        ticket(5, age_s=1300, priority="low"),  # low + 2 levels of age = effectively high
    ]
    assert [t.id for t in order(tickets, q, NOW)] == [2, 5, 3, 4, 1]
    assert effective_priority(tickets[4], q, NOW) == 2


@pytest.mark.parametrize(
    ("why", "ticket_kw", "agent_kw", "queue_kw", "expected"),
    [
        ("qualifies", {}, {}, {}, [(1, 1)]),
        ("serves another queue", {}, {"queues": frozenset({Q2})}, {}, []),
        ("skill too low", {}, {"skills": {"billing": 1}}, {"required_skills": {"billing": 2}}, []),
        (
            "skill high enough",
            {},
            {"skills": {"billing": 3}},
            {"required_skills": {"billing": 2}},
            [(1, 1)],
        ),
        ("wrong language", {"language": "tr"}, {}, {}, []),
        ("language not required", {"language": "tr"}, {}, {"language_required": False}, [(1, 1)]),
        ("declined it before", {"excluded": frozenset({UUID(int=1001)})}, {}, {}, []),
        ("off shift", {}, {"shift_ends_at": None}, {}, []),
        ("shift ends inside the drain", {}, {"shift_ends_at": NOW + timedelta(minutes=5)}, {}, []),
        ("full", {}, {"load": {"chat": 2}}, {}, []),
        ("on a call (voice exclusive)", {}, {"load": {"voice": 1}}, {}, []),
        (
            "on a call, not exclusive",
            {},
            {"load": {"voice": 1}, "voice_exclusive": False},
            {},
            [(1, 1)],
        ),
        ("chatting, a call comes", {"kind": "voice"}, {"load": {"chat": 1}}, {}, []),
        ("no capacity for the kind", {"kind": "social"}, {}, {}, []),
    ],
)
def test_candidates(
    why: str,
    ticket_kw: dict[str, object],
    agent_kw: dict[str, object],
    queue_kw: dict[str, object],
    expected: list[tuple[int, int]],
) -> None:
    """One agent, one ticket: offered exactly when every condition holds."""
    assert (
        offered(plan(queue(**queue_kw), {}, [ticket(1, **ticket_kw)], [agent(1, **agent_kw)], NOW))
        == expected
    ), why


@pytest.mark.parametrize(
    ("strategy", "agents", "expected_agent"),
    [
        (
            "longest_idle",
            [
                agent(1, last_assigned_at=NOW - timedelta(minutes=1)),
                agent(2, last_assigned_at=NOW - timedelta(minutes=9)),
            ],
            2,
        ),
        ("least_occupied", [agent(1, load={"chat": 1}), agent(2, load={})], 2),
        (
            "round_robin",
            [
                agent(1, last_offer_at=NOW - timedelta(seconds=5)),
                agent(2, last_offer_at=NOW - timedelta(seconds=50)),
            ],
            2,
        ),
    ],
)
def test_strategies(strategy: str, agents: list[Agent], expected_agent: int) -> None:
    assert offered(plan(queue(strategy=strategy), {}, [ticket(1)], agents, NOW)) == [
        (1, expected_agent)
    ]


def test_a_plan_never_overfills_and_round_robin_rotates() -> None:
    """Five tickets, two agents with room for two each: four offers, spread, one ticket left."""
    agents = [agent(1), agent(2)]
    result = plan(
        queue(strategy="round_robin"),
        {},
        [ticket(i, age_s=100 - i) for i in range(1, 6)],
        agents,
        NOW,
    )
    assert offered(result) == [(1, 1), (2, 2), (3, 1), (4, 2)]
    assert [a.load["chat"] for a in agents] == [2, 2]


def test_sticky_last_agent_first_then_held_then_released() -> None:
    """The customer's last agent gets it if free; if full, the ticket waits sticky_s for them."""
    last = UUID(int=1002)
    q = queue(sticky_s=60)
    assert offered(plan(q, {}, [ticket(1, last_agent=last)], [agent(1), agent(2)], NOW)) == [(1, 2)]
    held = plan(
        q, {}, [ticket(1, age_s=20, last_agent=last)], [agent(1), agent(2, load={"chat": 2})], NOW
    )
    assert held.offers == [] and held.held == [1]
    later = plan(
        q, {}, [ticket(1, age_s=90, last_agent=last)], [agent(1), agent(2, load={"chat": 2})], NOW
    )
    assert offered(later) == [(1, 1)]


def test_overflow_waits_then_widens_and_skips_unstaffed_steps() -> None:
    """Skills drop after 60 s, the partner queue joins after 120 s; an empty tier is skipped."""
    q = queue(
        required_skills={"german": 2, "billing": 1},
        overflow=(
            OverflowStep(60, drop_skills=frozenset({"billing"})),
            OverflowStep(120, queue_id=Q2),
        ),
    )
    rules = {Q2: QueueRules(Q2, {}, "longest_idle", 30)}
    german = agent(1, skills={"german": 3})  # lacks billing
    partner = agent(2, queues=frozenset({Q2}))  # the partner queue's agent
    busy_billing = agent(3, skills={"german": 3, "billing": 1}, load={"chat": 2})
    # A billing agent is on duty but full: the ticket waits for the first step.
    assert (
        offered(plan(q, rules, [ticket(1, queued_s=30)], [german, partner, busy_billing], NOW))
        == []
    )
    assert offered(
        plan(q, rules, [ticket(1, queued_s=61)], [german, partner, busy_billing], NOW)
    ) == [(1, 1)]
    # Nobody with billing on duty at all: the home tier is skipped at once.
    assert offered(
        plan(q, rules, [ticket(1, queued_s=30)], [agent(1, skills={"german": 3}), partner], NOW)
    ) == [(1, 1)]
    assert offered(
        plan(q, rules, [ticket(1, queued_s=121)], [replace_load(german), partner], NOW)
    ) == [(1, 2)]


def replace_load(a: Agent) -> Agent:
    a.load = {"chat": 2}
    return a


def test_unstaffed_home_tier_spills_at_once() -> None:
    """Nobody on duty could ever take it at home: the first overflow step applies immediately."""
    q = queue(required_skills={"german": 2}, overflow=(OverflowStep(300, queue_id=Q2),))
    rules = {Q2: QueueRules(Q2, {}, "longest_idle", 30)}
    assert offered(
        plan(q, rules, [ticket(1, queued_s=5)], [agent(2, queues=frozenset({Q2}))], NOW)
    ) == [(1, 2)]


def test_after_hours_reply_only_when_closed_nobody_and_not_sent_yet() -> None:
    closed = queue(is_open=False, has_after_hours_reply=True)
    assert plan(closed, {}, [ticket(1)], [], NOW).after_hours == [1]
    assert plan(closed, {}, [ticket(1, after_hours_replied=True)], [], NOW).after_hours == []
    assert plan(closed, {}, [ticket(1)], [agent(1)], NOW).after_hours == []  # someone is on duty
    assert plan(queue(has_after_hours_reply=True), {}, [ticket(1)], [], NOW).after_hours == []


def test_has_room_counts_per_kind() -> None:
    a = agent(
        1, capacity={"chat": 4, "email": 10}, load={"chat": 3, "email": 10}, voice_exclusive=False
    )
    assert has_room(a, "chat") and not has_room(a, "email") and not has_room(a, "voice")


def test_longest_idle_counts_an_offer_as_activity() -> None:
    """A fresh offer makes an agent the least idle: one plan spreads work instead of filling one agent."""
    agents = [agent(1, capacity={"chat": 5}, available_since=NOW - timedelta(hours=2)),
              agent(2, capacity={"chat": 5}, available_since=NOW - timedelta(hours=1))]  # fmt: skip
    result = plan(queue(), {}, [ticket(i, age_s=100 - i) for i in range(1, 5)], agents, NOW)
    assert offered(result) == [(1, 1), (2, 2), (3, 1), (4, 2)]
