"""SLA clock decisions without a database: start, meet, breach, stop, pause, resume and retarget
each target from a ticket's facts, plus the warning stages and the next timer instant."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from uuid import UUID

from contactcenter.api.schemas_sla import SlaCalendarIn
from contactcenter.sla.clocks import (
    Changes,
    Clock,
    Facts,
    Policy,
    next_fire,
    reconcile,
    stages_passed,
)

AGENT = UUID(int=7)
QUEUE = UUID(int=3)
T0 = datetime(2026, 6, 10, 8, tzinfo=UTC)  # Wed 10:00 in Berlin
OFFICE = SlaCalendarIn.model_validate({
    "timezone": "Europe/Berlin",
    "hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
}).plan()  # fmt: skip

POLICY = Policy(
    id=UUID(int=1),
    targets={
        "normal": {"first_response_s": 3600, "next_response_s": 1800, "resolution_s": 86400},
        "urgent": {"first_response_s": 1800, "next_response_s": 600, "resolution_s": 14400},
        "low": {"first_response_s": None, "next_response_s": None, "resolution_s": 172800},
    },
    plan=None,
    pause_on=frozenset({"pending"}),
    warn_at=(0.5, 0.8),
)
FACTS = Facts(
    ticket_id=42,
    brand_id=UUID(int=2),
    queue_id=QUEUE,
    channel="whatsapp",
    status="new",
    priority="normal",
    assignee_id=AGENT,
    opened_at=T0,
    awaiting_since=T0,
    first_replied_at=None,
    last_replied_at=None,
    last_replied_by=None,
    solved_at=None,
    closed_at=None,
)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def facts(**changes: object) -> Facts:
    return dataclasses.replace(FACTS, **changes)  # type: ignore[arg-type]


def by_target(changes: Changes) -> dict[str, Clock]:
    clocks = {c.target: c for c in changes.clocks}
    assert len(clocks) == len(changes.clocks), "one changed clock per target"
    return clocks


def opened(policy: Policy = POLICY, **changes: object) -> dict[str, Clock]:
    """The clocks of a new ticket whose customer has been waiting since T0."""
    return by_target(reconcile(facts(**changes), [], policy, T0))


def replied(at: datetime) -> Facts:
    """An agent answered publicly at `at`; nobody is waiting."""
    return facts(
        status="open",
        awaiting_since=None,
        first_replied_at=at,
        last_replied_at=at,
        last_replied_by=AGENT,
    )


def clock(target_s: int = 1000, **changes: object) -> Clock:
    """A running first_response clock started at T0 with nothing consumed."""
    base = Clock("first_response", T0, POLICY.id, QUEUE, "whatsapp", "normal", target_s)
    base.resumed_at = T0
    base.due_at = T0 + timedelta(seconds=target_s)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def resumed_clock(stage: int = 0) -> Clock:
    """A 1000 s clock that used 600 s before a pause and resumed at 60 min (due 400 s later)."""
    due = minutes(60) + timedelta(seconds=400)
    return clock(consumed_s=600, resumed_at=minutes(60), due_at=due, stage=stage)


# --- starting clocks -------------------------------------------------------------------------


def test_new_ticket_starts_first_response_and_resolution() -> None:
    """Both clocks run from T0, due after their target, the timer set at the 50 % warning."""
    changes = reconcile(FACTS, [], POLICY, T0)
    clocks = by_target(changes)
    assert sorted(clocks) == ["first_response", "resolution"]
    first, resolution = clocks["first_response"], clocks["resolution"]
    assert first.id is None and first.started_at == T0 and first.resumed_at == T0
    assert first.target_s == 3600 and first.consumed_s == 0
    assert first.due_at == minutes(60) and first.next_fire_at == minutes(30)
    assert first.policy_id == POLICY.id and first.queue_id == QUEUE
    assert first.channel == "whatsapp" and first.priority == "normal"
    assert first.state == "running" and first.stage == 0 and first.public_state() == "ok"
    assert resolution.started_at == T0 and resolution.target_s == 86400
    assert resolution.due_at == T0 + timedelta(days=1)
    assert resolution.next_fire_at == T0 + timedelta(hours=12)
    assert (changes.pauses, changes.resumes, changes.breaches) == ([], [], [])


def test_business_calendar_sets_due_and_warning_in_working_time() -> None:
    """Wed 10:00 CEST + 8 h of office time is Thu 10:00; the 50 % warning is Wed 14:00."""
    policy = dataclasses.replace(
        POLICY, plan=OFFICE, targets={"normal": {"first_response_s": 28800}}
    )
    first = opened(policy)["first_response"]
    assert first.due_at == datetime(2026, 6, 11, 8, tzinfo=UTC)
    assert first.next_fire_at == datetime(2026, 6, 10, 12, tzinfo=UTC)


def test_missing_priority_falls_back_to_normal() -> None:
    """'high' has no targets of its own, so its clocks use normal's."""
    clocks = opened(priority="high")
    assert clocks["first_response"].target_s == 3600
    assert clocks["first_response"].priority == "high"
    assert clocks["resolution"].target_s == 86400


def test_target_set_to_none_creates_no_clock() -> None:
    """'low' has no response targets: only the resolution clock (2 days) runs."""
    clocks = opened(priority="low")
    assert list(clocks) == ["resolution"]
    assert clocks["resolution"].due_at == T0 + timedelta(days=2)


def test_no_next_response_target_means_no_clock_for_later_messages() -> None:
    """A customer writing after the reply starts nothing when next_response_s is None."""
    policy = dataclasses.replace(
        POLICY, targets={"normal": {"first_response_s": 3600, "next_response_s": None}}
    )
    later = dataclasses.replace(replied(minutes(20)), awaiting_since=minutes(120))
    changes = reconcile(later, [], policy, minutes(120))
    assert changes.clocks == []


def test_no_policy_starts_nothing() -> None:
    assert reconcile(FACTS, [], None, T0) == Changes()


def test_inactive_ticket_starts_nothing() -> None:
    """A solved ticket wants no clocks, even with a customer message waiting."""
    assert reconcile(facts(status="solved", solved_at=T0), [], POLICY, T0) == Changes()


# --- meeting, breaching and stopping ---------------------------------------------------------


def test_agent_reply_meets_first_response() -> None:
    """Met at the reply's instant (not when reconcile runs); resolution is left untouched."""
    clocks = list(opened().values())
    changes = reconcile(replied(minutes(20)), clocks, POLICY, minutes(25))
    first = by_target(changes)["first_response"]
    assert list(by_target(changes)) == ["first_response"]
    assert first.state == "done" and first.public_state() == "met"
    assert first.met_at == minutes(20) and first.met_by == AGENT
    assert first.stopped_at == minutes(20) and first.stop_reason == "met"
    assert first.consumed_s == 1200
    assert first.resumed_at is None and first.next_fire_at is None and first.breached_at is None
    assert changes.breaches == []


def test_customer_message_after_reply_starts_next_response() -> None:
    """awaiting_since set again with first_replied_at set: next_response from that message."""
    clocks = list(opened().values())
    reconcile(replied(minutes(20)), clocks, POLICY, minutes(20))
    later = dataclasses.replace(replied(minutes(20)), awaiting_since=minutes(120))
    changes = reconcile(later, clocks, POLICY, minutes(121))
    assert list(by_target(changes)) == ["next_response"]
    nxt = changes.clocks[0]
    assert nxt.started_at == minutes(120) and nxt.target_s == 1800
    assert nxt.due_at == minutes(150) and nxt.next_fire_at == minutes(135)
    assert nxt.public_state() == "ok"


def test_next_reply_meets_next_response() -> None:
    """The second reply meets next_response; first_response stays as it was."""
    clocks = list(opened().values())
    reconcile(replied(minutes(20)), clocks, POLICY, minutes(20))
    later = dataclasses.replace(replied(minutes(20)), awaiting_since=minutes(120))
    clocks += reconcile(later, clocks, POLICY, minutes(120)).clocks
    answer = dataclasses.replace(replied(minutes(140)), first_replied_at=minutes(20))
    changes = reconcile(answer, clocks, POLICY, minutes(140))
    nxt = by_target(changes)["next_response"]
    assert list(by_target(changes)) == ["next_response"]
    assert nxt.met_at == minutes(140) and nxt.public_state() == "met" and nxt.consumed_s == 1200


def test_late_reply_breaches_at_due_time() -> None:
    """A reply 70 minutes in misses the 60-minute target: breached at the due instant."""
    clocks = list(opened().values())
    changes = reconcile(replied(minutes(70)), clocks, POLICY, minutes(70))
    first = by_target(changes)["first_response"]
    assert changes.breaches == [first]
    assert first.breached_at == minutes(60) and first.met_at == minutes(70)
    assert first.state == "done" and first.public_state() == "breached"
    assert first.consumed_s == 4200


def test_reply_exactly_at_due_time_is_met() -> None:
    clocks = list(opened().values())
    changes = reconcile(replied(minutes(60)), clocks, POLICY, minutes(60))
    first = by_target(changes)["first_response"]
    assert changes.breaches == [] and first.breached_at is None
    assert first.public_state() == "met"


def test_breach_already_fired_by_timer_is_not_reported_again() -> None:
    """The timer set breached_at at 60 min; the late reply keeps it and adds no breach."""
    clocks = opened()
    clocks["first_response"].breached_at, clocks["first_response"].stage = minutes(60), 2
    changes = reconcile(replied(minutes(90)), list(clocks.values()), POLICY, minutes(90))
    first = by_target(changes)["first_response"]
    assert changes.breaches == []
    assert first.breached_at == minutes(60) and first.public_state() == "breached"


def test_solving_meets_resolution_and_stops_unanswered_response() -> None:
    """Solved after 40 minutes without a reply: resolution met, first_response only stopped."""
    clocks = list(opened().values())
    solved = facts(status="solved", solved_at=minutes(40))
    changes = reconcile(solved, clocks, POLICY, minutes(41))
    first, resolution = by_target(changes)["first_response"], by_target(changes)["resolution"]
    assert resolution.state == "done" and resolution.public_state() == "met"
    assert resolution.met_at == minutes(40) and resolution.met_by == AGENT
    assert resolution.stop_reason == "met" and resolution.consumed_s == 2400
    assert first.state == "done" and first.met_at is None and first.public_state() == "stopped"
    assert first.stop_reason == "solved" and first.stopped_at == minutes(41)
    assert first.breached_at is None and changes.breaches == []


def test_solving_after_a_missed_response_target_is_a_breach() -> None:
    """Unanswered, due at 60 min, solved at 90 min before the lagging timer fired: the target
    was missed, so the stopped clock is breached at 60 min (as a timer on time would have made
    it), not merely 'stopped'."""
    clocks = list(opened().values())
    changes = reconcile(facts(status="solved", solved_at=minutes(90)), clocks, POLICY, minutes(90))
    first = by_target(changes)["first_response"]
    assert first.state == "done" and first.met_at is None
    assert first.breached_at == minutes(60) and first.public_state() == "breached"
    assert changes.breaches == [first]


def test_closing_meets_resolution_at_closed_at() -> None:
    """Closed without a solved_at: resolution is met when the ticket was closed."""
    clocks = list(opened().values())
    closed = facts(status="closed", closed_at=minutes(50))
    resolution = by_target(reconcile(closed, clocks, POLICY, minutes(55)))["resolution"]
    assert resolution.met_at == minutes(50) and resolution.public_state() == "met"


def test_removing_the_policy_stops_every_clock() -> None:
    """No policy any more: running clocks end neither met nor breached."""
    clocks = list(opened().values())
    changes = reconcile(facts(status="open"), clocks, None, minutes(10))
    assert sorted(by_target(changes)) == ["first_response", "resolution"]
    for stopped in changes.clocks:
        assert stopped.state == "done" and stopped.met_at is None
        assert stopped.stopped_at == minutes(10) and stopped.stop_reason == "changed"
        assert stopped.public_state() == "stopped" and stopped.next_fire_at is None
    assert changes.breaches == []


def test_done_clocks_are_left_alone() -> None:
    """A finished clock is never reported again, even when its facts no longer match."""
    clocks = list(opened().values())
    reconcile(replied(minutes(20)), clocks, POLICY, minutes(20))
    assert reconcile(replied(minutes(20)), clocks, POLICY, minutes(30)) == Changes()


# --- pausing and resuming --------------------------------------------------------------------


def test_pending_pauses_running_clocks() -> None:
    """Pending at 10 min: both clocks keep their 600 s, lose their due time and timer."""
    clocks = list(opened().values())
    changes = reconcile(facts(status="pending"), clocks, POLICY, minutes(10))
    assert len(changes.clocks) == 2
    for paused in changes.clocks:
        assert paused.state == "paused" and paused.public_state() == "paused"
        assert paused.due_at is None and paused.next_fire_at is None and paused.resumed_at is None
        assert paused.consumed_s == 600
    assert sorted((c.target, at, why) for c, at, why in changes.pauses) == [
        ("first_response", minutes(10), "status pending"),
        ("resolution", minutes(10), "status pending"),
    ]
    assert changes.resumes == []


def test_still_pending_changes_nothing() -> None:
    clocks = list(opened().values())
    reconcile(facts(status="pending"), clocks, POLICY, minutes(10))
    assert reconcile(facts(status="pending"), clocks, POLICY, minutes(40)) == Changes()


def test_resume_moves_due_by_the_pause() -> None:
    """Paused 10-70 min: due = 70 min + (target - 600 s); the 50 % timer likewise."""
    clocks = list(opened().values())
    reconcile(facts(status="pending"), clocks, POLICY, minutes(10))
    changes = reconcile(facts(status="open"), clocks, POLICY, minutes(70))
    first, resolution = by_target(changes)["first_response"], by_target(changes)["resolution"]
    assert first.state == "running" and first.resumed_at == minutes(70)
    assert first.consumed_s == 600
    assert first.due_at == minutes(120) and first.next_fire_at == minutes(90)
    assert resolution.due_at == minutes(70 + 1440 - 10)
    assert sorted((c.target, at) for c, at in changes.resumes) == [
        ("first_response", minutes(70)),
        ("resolution", minutes(70)),
    ]
    assert changes.pauses == []


def test_ticket_created_pending_starts_paused() -> None:
    """A new clock on a pending ticket is paused at once, with its ledger row."""
    changes = reconcile(facts(status="pending"), [], POLICY, minutes(5))
    first = by_target(changes)["first_response"]
    assert first.state == "paused" and first.due_at is None and first.consumed_s == 300
    assert sorted((c.target, at, why) for c, at, why in changes.pauses) == [
        ("first_response", minutes(5), "status pending"),
        ("resolution", minutes(5), "status pending"),
    ]


def test_reply_while_paused_meets_and_closes_the_ledger_row() -> None:
    """The reply ends the pause (a resume row at the reply) and meets the clock."""
    clocks = list(opened().values())
    reconcile(facts(status="pending"), clocks, POLICY, minutes(10))
    answer = dataclasses.replace(replied(minutes(30)), status="pending")
    changes = reconcile(answer, clocks, POLICY, minutes(30))
    first = by_target(changes)["first_response"]
    assert first.public_state() == "met" and first.met_at == minutes(30)
    assert first.consumed_s == 600
    assert [(c.target, at) for c, at in changes.resumes] == [("first_response", minutes(30))]


def test_reply_during_a_pause_begun_after_the_due_time_is_a_breach() -> None:
    """Due at 60 min, pending at 70 min before the timer fired (4200 s used of 3600 s), then
    answered at 80 min while still pending: the target was missed, so the breach (at 60 min)
    is found when the pause begins, and the later reply does not turn it into met."""
    clocks = list(opened().values())
    paused = reconcile(facts(status="pending"), clocks, POLICY, minutes(70))
    first = by_target(paused)["first_response"]
    assert paused.breaches == [first] and first.breached_at == minutes(60)
    answer = dataclasses.replace(replied(minutes(80)), status="pending")
    changes = reconcile(answer, clocks, POLICY, minutes(80))
    first = by_target(changes)["first_response"]
    assert first.consumed_s == 4200 and first.met_at == minutes(80)
    assert first.breached_at == minutes(60) and first.public_state() == "breached"
    assert changes.breaches == []  # recorded once, at the pause


def test_consumed_time_across_pause_with_business_hours() -> None:
    """8 h target in a Mon-Fri 09-17 Berlin office, started Wed 10:00 CEST:
    pending Wed 15:00 (5 h used), open again Thu 16:00 (3 h left: Thu 16-17, Fri 09-11),
    answered Fri 10:00 with 7 h used in all."""
    policy = dataclasses.replace(
        POLICY, plan=OFFICE, targets={"normal": {"first_response_s": 28800}}
    )
    clocks = list(opened(policy).values())
    clocks[0].stage = 1  # the 50 % warning fired at Wed 14:00
    wed_15 = datetime(2026, 6, 10, 13, tzinfo=UTC)
    reconcile(facts(status="pending"), clocks, policy, wed_15)
    assert clocks[0].consumed_s == 5 * 3600

    thu_16 = datetime(2026, 6, 11, 14, tzinfo=UTC)
    changes = reconcile(facts(status="open"), clocks, policy, thu_16)
    first = by_target(changes)["first_response"]
    assert first.due_at == datetime(2026, 6, 12, 9, tzinfo=UTC)  # Fri 11:00 CEST
    # 80 % is 23040 s: 5040 s (1 h 24 min) after resuming → Fri 09:24 CEST.
    assert first.next_fire_at == datetime(2026, 6, 12, 7, 24, tzinfo=UTC)

    fri_10 = datetime(2026, 6, 12, 8, tzinfo=UTC)
    answer = replied(fri_10)
    done = by_target(reconcile(answer, clocks, policy, fri_10))["first_response"]
    assert done.consumed_s == 7 * 3600 and done.public_state() == "met"


def test_pause_outside_business_hours_costs_nothing() -> None:
    """Pending from Wed 20:00 to Thu 08:00 CEST (office closed): the due time does not move."""
    policy = dataclasses.replace(
        POLICY, plan=OFFICE, targets={"normal": {"first_response_s": 28800}}
    )
    clocks = list(opened(policy).values())
    reconcile(facts(status="pending"), clocks, policy, datetime(2026, 6, 10, 18, tzinfo=UTC))
    assert clocks[0].consumed_s == 7 * 3600
    reconcile(facts(status="open"), clocks, policy, datetime(2026, 6, 11, 6, tzinfo=UTC))
    assert clocks[0].due_at == datetime(2026, 6, 11, 8, tzinfo=UTC)  # Thu 10:00, as before


# --- retargeting -----------------------------------------------------------------------------


def test_priority_change_recomputes_target_keeping_used_time() -> None:
    """normal → urgent after 10 min: first_response 1800 s - 600 s used = due at 30 min."""
    clocks = list(opened().values())
    changes = reconcile(facts(priority="urgent"), clocks, POLICY, minutes(10))
    first, resolution = by_target(changes)["first_response"], by_target(changes)["resolution"]
    assert first.priority == "urgent" and first.target_s == 1800 and first.consumed_s == 600
    assert first.resumed_at == minutes(10)
    assert first.due_at == minutes(30) and first.next_fire_at == minutes(15)
    assert resolution.target_s == 14400 and resolution.due_at == minutes(240)
    assert (changes.pauses, changes.resumes, changes.breaches) == ([], [], [])


def test_priority_change_while_paused_stays_paused() -> None:
    clocks = list(opened().values())
    reconcile(facts(status="pending"), clocks, POLICY, minutes(10))
    changes = reconcile(facts(status="pending", priority="urgent"), clocks, POLICY, minutes(20))
    first = by_target(changes)["first_response"]
    assert first.state == "paused" and first.target_s == 1800 and first.due_at is None
    assert first.consumed_s == 600 and changes.pauses == [] and changes.resumes == []
    resumed = reconcile(facts(status="open", priority="urgent"), clocks, POLICY, minutes(40))
    assert by_target(resumed)["first_response"].due_at == minutes(60)  # 40 + (1800 - 600) s


def test_queue_change_keeps_the_clock_running() -> None:
    """A move to another queue is recorded on the clock; same target, same due time."""
    clocks = list(opened().values())
    other = UUID(int=4)
    changes = reconcile(facts(queue_id=other), clocks, POLICY, minutes(10))
    first = by_target(changes)["first_response"]
    assert first.queue_id == other and first.consumed_s == 600 and first.due_at == minutes(60)


# --- warning stages and timers ---------------------------------------------------------------


def test_stages_passed_before_between_and_after_warnings() -> None:
    """Target 1000 s, warnings at 500 s and 800 s, breach at 1000 s."""
    running = clock()
    at = [(499, (0, False)), (500, (1, False)), (799, (1, False)), (800, (2, False))]
    at += [(1000, (2, True)), (5000, (2, True))]
    for seconds, expected in at:
        assert stages_passed(running, POLICY, T0 + timedelta(seconds=seconds)) == expected


def test_stages_passed_counts_time_used_before_a_pause() -> None:
    """600 s used before the pause, resumed at 1 h: the 80 % mark comes 200 s later."""
    resumed = resumed_clock(stage=1)
    assert stages_passed(resumed, POLICY, minutes(60) + timedelta(seconds=199)) == (1, False)
    assert stages_passed(resumed, POLICY, minutes(60) + timedelta(seconds=200)) == (2, False)


def test_stages_passed_while_paused_holds_the_stage() -> None:
    paused = clock(state="paused", resumed_at=None, due_at=None, stage=1, consumed_s=700)
    assert stages_passed(paused, POLICY, T0 + timedelta(days=3)) == (1, False)


def test_next_fire_after_each_stage() -> None:
    """Stage 0 → 50 %, stage 1 → 80 %, stage 2 → due; breached or paused → no timer."""
    assert next_fire(clock(stage=0), POLICY) == T0 + timedelta(seconds=500)
    assert next_fire(clock(stage=1), POLICY) == T0 + timedelta(seconds=800)
    assert next_fire(clock(stage=2), POLICY) == T0 + timedelta(seconds=1000)
    assert next_fire(clock(stage=2, breached_at=T0 + timedelta(seconds=1000)), POLICY) is None
    assert next_fire(clock(state="paused", resumed_at=None, due_at=None), POLICY) is None


def test_next_fire_after_resume_subtracts_used_time() -> None:
    """600 s used, resumed at 1 h: 80 % (800 s) is 200 s on; a passed warning fires at once."""
    resumed = resumed_clock()
    assert next_fire(dataclasses.replace(resumed, stage=1), POLICY) == minutes(60) + timedelta(
        seconds=200
    )
    assert next_fire(dataclasses.replace(resumed, stage=0), POLICY) == minutes(60)


def test_public_state_shows_warning_after_a_stage() -> None:
    assert clock(stage=0).public_state() == "ok"
    assert clock(stage=1).public_state() == "warning"
