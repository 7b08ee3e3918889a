"""SLA clocks computed from a ticket's facts. Pure: the store loads, this decides, the store writes.

Rules (DESIGN.md, SLA):
- resolution runs from the ticket's (re)opening until it is solved;
- a customer waiting for an answer (`awaiting_since`) runs first_response if no agent has
  replied publicly yet, else next_response; the agent's public reply meets it;
- statuses in the policy's `pause_on` pause every running clock (a ledger row per pause);
- a change of priority, queue or policy recomputes the target; time already used is kept;
- solving without a reply stops the response clock (neither met nor breached, unless its
  target had passed: then it is breached).

Warnings fire at each `warn_at` fraction of the target, the breach at the due time. A clock
whose target was missed when it stopped is breached even if its timer had not fired yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from contactcenter.routing import shifts
from contactcenter.sla import calendar

ACTIVE = ("new", "open", "pending")
RESPONSES = ("first_response", "next_response")
BREACH_STAGE = 0  # sla_alerts.stage of the breach; warnings are 1..n


@dataclass(frozen=True, slots=True)
class Policy:
    id: UUID
    targets: dict[str, dict[str, int | None]]  # priority → {first_response_s, ...}
    plan: shifts.Plan | None  # None: 24/7
    pause_on: frozenset[str]
    warn_at: tuple[float, ...]

    def target_s(self, priority: str, target: str) -> int | None:
        chosen = self.targets.get(priority) or self.targets["normal"]
        return chosen.get(f"{target}_s")


@dataclass(frozen=True, slots=True)
class Facts:
    ticket_id: int
    brand_id: UUID
    queue_id: UUID
    channel: str
    status: str
    priority: str
    assignee_id: UUID | None
    opened_at: datetime
    awaiting_since: datetime | None
    first_replied_at: datetime | None
    last_replied_at: datetime | None
    last_replied_by: UUID | None
    solved_at: datetime | None
    closed_at: datetime | None


@dataclass(slots=True)
class Clock:
    target: str
    started_at: datetime
    policy_id: UUID
    queue_id: UUID
    channel: str
    priority: str
    target_s: int
    consumed_s: float = 0.0
    resumed_at: datetime | None = None
    due_at: datetime | None = None
    state: str = "running"
    stage: int = 0
    next_fire_at: datetime | None = None
    breached_at: datetime | None = None
    met_at: datetime | None = None
    met_by: UUID | None = None
    stopped_at: datetime | None = None
    stop_reason: str | None = None
    id: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> Clock:
        return cls(**{name: row[name] for name in cls.__slots__})

    def public_state(self) -> str:
        """ok, warning, breached, met, paused or stopped (the API's view)."""
        if self.breached_at is not None:
            return "breached"
        if self.state == "done":
            return "met" if self.met_at is not None else "stopped"
        if self.state == "paused":
            return "paused"
        return "warning" if self.stage > 0 else "ok"


@dataclass(slots=True)
class Changes:
    """What reconcile decided for one ticket: clocks to insert or update, the pause ledger."""

    clocks: list[Clock] = field(default_factory=list)  # new (id None) or changed
    pauses: list[tuple[Clock, datetime, str]] = field(default_factory=list)
    resumes: list[tuple[Clock, datetime]] = field(default_factory=list)
    breaches: list[Clock] = field(default_factory=list)  # found at stop time, not by a timer


def reconcile(facts: Facts, clocks: list[Clock], policy: Policy | None, at: datetime) -> Changes:
    """Bring the ticket's open clocks in line with its facts as of `at`."""
    out = Changes()
    wanted = _wanted(facts, policy)
    for clock in clocks:
        if clock.state == "done":
            continue
        if (clock.target, clock.started_at) in wanted and policy is not None:
            wanted.pop((clock.target, clock.started_at))
            if _update(clock, facts, policy, at, out):
                out.clocks.append(clock)
        else:
            _finish(clock, facts, policy, at, out)
            out.clocks.append(clock)
    for (target, started), target_s in wanted.items():
        if policy is None:  # pragma: no cover - _wanted returns nothing without a policy
            break
        clock = Clock(target, started, policy.id, facts.queue_id, facts.channel, facts.priority,
                      target_s, resumed_at=started)  # fmt: skip
        clock.due_at = calendar.add(policy.plan, started, target_s)
        if facts.status in policy.pause_on:
            _pause(clock, policy, max(at, started), facts.status, out)
        else:
            clock.next_fire_at = next_fire(clock, policy)
        out.clocks.append(clock)
    return out


def _wanted(facts: Facts, policy: Policy | None) -> dict[tuple[str, datetime], int]:
    if policy is None or facts.status not in ACTIVE:
        return {}
    wanted: dict[tuple[str, datetime], int] = {}
    resolution = policy.target_s(facts.priority, "resolution")
    if resolution:
        wanted[("resolution", facts.opened_at)] = resolution
    if facts.awaiting_since is not None:
        target = "first_response" if facts.first_replied_at is None else "next_response"
        seconds = policy.target_s(facts.priority, target)
        if seconds:
            wanted[(target, facts.awaiting_since)] = seconds
    return wanted


def _update(clock: Clock, facts: Facts, policy: Policy, at: datetime, out: Changes) -> bool:
    """Follow priority, queue, policy and status; True when anything changed. A change time
    older than the clock's running segment (a late work row) counts from the segment start."""
    if clock.resumed_at is not None and at < clock.resumed_at:
        at = clock.resumed_at
    target_s = policy.target_s(facts.priority, clock.target) or clock.target_s
    moved = (clock.policy_id, clock.queue_id, clock.priority, clock.target_s) != (
        policy.id, facts.queue_id, facts.priority, target_s)  # fmt: skip
    paused = facts.status in policy.pause_on
    if not moved and paused == (clock.state == "paused"):
        return False
    if clock.state == "running" and clock.resumed_at is not None:
        clock.consumed_s += calendar.between(policy.plan, clock.resumed_at, at)
        clock.resumed_at = at
    clock.policy_id, clock.queue_id, clock.priority, clock.target_s = (
        policy.id, facts.queue_id, facts.priority, target_s)  # fmt: skip
    if paused and clock.state == "running":
        _pause(clock, policy, at, facts.status, out)
    elif not paused and clock.state == "paused":
        clock.state = "running"
        clock.resumed_at = at
        out.resumes.append((clock, at))
    if clock.state == "running" and clock.resumed_at is not None:
        left = clock.target_s - clock.consumed_s
        clock.due_at = calendar.add(policy.plan, clock.resumed_at, left)
        clock.next_fire_at = next_fire(clock, policy)
    return True


def _pause(clock: Clock, policy: Policy, at: datetime, status: str, out: Changes) -> None:
    if clock.state == "running" and clock.resumed_at is not None and clock.resumed_at < at:
        clock.consumed_s += calendar.between(policy.plan, clock.resumed_at, at)
    if clock.due_at is not None and at > clock.due_at and clock.breached_at is None:
        clock.breached_at = clock.due_at  # overdue before the pause; its timer had not fired
        out.breaches.append(clock)
    clock.state = "paused"
    clock.resumed_at = clock.due_at = clock.next_fire_at = None
    out.pauses.append((clock, at, f"status {status}"))


def _finish(
    clock: Clock, facts: Facts, policy: Policy | None, at: datetime, out: Changes
) -> None:  # fmt: skip
    """Stop a clock its facts no longer want: met by a reply or a solve, or stopped."""
    met_at, met_by = _met(clock, facts)
    end = met_at or at
    if clock.state == "paused":
        out.resumes.append((clock, end))  # close the ledger row
    elif clock.resumed_at is not None and policy is not None and clock.resumed_at < end:
        clock.consumed_s += calendar.between(policy.plan, clock.resumed_at, end)
    late = clock.due_at is not None and end > clock.due_at
    if late and clock.breached_at is None:  # missed, whether or not its timer had fired
        clock.breached_at = clock.due_at
        out.breaches.append(clock)
    clock.state = "done"
    clock.met_at, clock.met_by = met_at, met_by
    clock.stopped_at = end
    clock.stop_reason = "met" if met_at else ("solved" if facts.status not in ACTIVE else "changed")
    clock.resumed_at = clock.next_fire_at = None


def _met(clock: Clock, facts: Facts) -> tuple[datetime | None, UUID | None]:
    if clock.target in RESPONSES:
        replied = facts.last_replied_at
        if replied is not None and replied >= clock.started_at:
            return replied, facts.last_replied_by
        return None, None
    if facts.status not in ACTIVE:
        return facts.solved_at or facts.closed_at, facts.assignee_id
    return None, None


def next_fire(clock: Clock, policy: Policy) -> datetime | None:
    """The next warning's instant, else the due time; None when breached or not running."""
    if clock.state != "running" or clock.breached_at is not None or clock.resumed_at is None:
        return None
    for fraction in policy.warn_at[clock.stage :]:
        left = fraction * clock.target_s - clock.consumed_s
        return calendar.add(policy.plan, clock.resumed_at, max(left, 0.0))
    return clock.due_at


def stages_passed(clock: Clock, policy: Policy, now: datetime) -> tuple[int, bool]:
    """At `now`: the number of warning stages passed, and whether the clock is breached."""
    if clock.due_at is not None and clock.due_at <= now:
        return len(policy.warn_at), True
    passed = clock.stage
    if clock.resumed_at is None:
        return passed, False
    used = clock.consumed_s + calendar.between(policy.plan, clock.resumed_at, now)
    while passed < len(policy.warn_at) and policy.warn_at[passed] * clock.target_s <= used + 1e-6:
        passed += 1
    return passed, False


def stage_instant(clock: Clock, policy: Policy, stage: int) -> datetime | None:
    """When warning `stage` (1-based) was reached in the current running segment."""
    if clock.resumed_at is None or not 0 < stage <= len(policy.warn_at):
        return None
    left = policy.warn_at[stage - 1] * clock.target_s - clock.consumed_s
    return calendar.add(policy.plan, clock.resumed_at, max(left, 0.0))
