"""The chaos run's counting (bench/chaos_counts.py): pure functions over the simulator's state."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bench.chaos_counts import Comment, IssueState, count, expected_reminders, issue_state, percentile
from jirasim.simulator import JiraSimulator
from worker.config import default_config_path, load_config
from worker.reminders.actions import marker
from worker.triage import decision_marker

UTC = timezone.utc
T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # a Thursday
# The shipped config: L1 1 h around the clock -> reminders at 30, 45, 54 and 60 minutes.
L1 = {"entitled": True, "level": "L1", "region": "EMEA", "time_zone": "Europe/Amsterdam"}
AT = {"50": 30, "75": 45, "90": 54, "100": 60}


@pytest.fixture(scope="module")
def config():
    return load_config(default_config_path())


def internal(body: str, at: datetime) -> Comment:
    return Comment(body, False, at)


def triaged(key: str, *reminders: tuple[str, float], decision=L1, extra=()) -> IssueState:
    """An L1 request created at T0, its triage comment, and reminder comments (code, minutes after T0)."""
    comments = [internal(f"Triage.\n{decision_marker('ab12')}", T0 + timedelta(seconds=2))]
    comments += [internal(f"Reminder\n\n({marker(1, code)})", T0 + timedelta(minutes=minutes))
                 for code, minutes in reminders]
    return IssueState(key, T0, decision, tuple(comments) + tuple(extra))


def on_time(*codes: str) -> list[tuple[str, float]]:
    return [(code, AT[code] + 0.1) for code in codes]


def test_expected_reminders_follow_the_config_and_stop_at_the_cutoff(config):
    issue = triaged("PS-1")
    everything = expected_reminders(issue, config, T0 + timedelta(hours=2))
    assert everything == {(1, code): T0 + timedelta(minutes=m) for code, m in AT.items()}
    assert set(expected_reminders(issue, config, T0 + timedelta(minutes=50))) == {(1, "50"), (1, "75")}
    assert expected_reminders(triaged("PS-2", decision={"entitled": False, "level": None}), config,
                              T0 + timedelta(hours=2)) == {}
    cycle_two = {**L1, "sla_cycle": 2}
    assert set(expected_reminders(triaged("PS-3", decision=cycle_two), config, T0 + timedelta(minutes=31))) \
        == {(2, "50")}


def test_a_clean_run_counts_nothing_wrong(config):
    issues = [triaged(f"PS-{n}", *on_time("50", "75", "90", "100")) for n in range(3)]
    counts = count(issues, config, cutoff=T0 + timedelta(hours=1, minutes=1))
    assert (counts.requests, counts.lost, counts.duplicate_comments, counts.missed, counts.doubled,
            counts.unexpected, counts.early, counts.late) == (3, 0, [], [], [], [], [], [])
    assert counts.reminders_expected == counts.reminders_fired == 12
    assert max(counts.lateness) == pytest.approx(6.0)


def test_untriaged_requests_and_duplicate_triage_comments_are_found(config):
    bare = IssueState("PS-9", T0, None, ())
    half = IssueState("PS-8", T0, L1, ())  # property written, comment never
    twice = triaged("PS-7", extra=[internal(f"Triage again.\n{decision_marker('ab12')}", T0 + timedelta(seconds=9))])
    redecided = triaged("PS-6", extra=[internal(f"New.\n{decision_marker('cd34')}", T0 + timedelta(seconds=9))])
    public_copy = triaged("PS-5", extra=[Comment(f"quoted {decision_marker('ab12')}", True, T0)])
    slow = IssueState("PS-4", T0, L1, (internal(decision_marker("ef56"), T0 + timedelta(seconds=75)),))
    counts = count([bare, half, twice, redecided, public_copy, slow], config, cutoff=T0)
    assert counts.untriaged == ["PS-9"] and counts.no_triage_comment == ["PS-9", "PS-8"]
    assert counts.lost == 2
    assert counts.duplicate_comments == [("PS-7", "ab12", 2)]
    assert counts.redecided == ["PS-6"]
    assert sorted(counts.triage_seconds) == [2.0, 2.0, 2.0, 75.0]  # from creation to the first triage comment
    assert counts.triaged_late == [("PS-4", 75.0)]


def test_missed_doubled_unexpected_early_and_late_reminders(config):
    cutoff = T0 + timedelta(minutes=55)  # 50, 75, 90 due; 100 not yet
    missed = triaged("PS-1", *on_time("50", "75"))  # 90 % due, never posted
    doubled = triaged("PS-2", *on_time("50", "75", "90"), ("75", 46))
    early = triaged("PS-3", *on_time("50", "75", "90"), ("100", 40))
    late = triaged("PS-4", *on_time("50", "75"), ("90", 56))
    not_entitled = triaged("PS-5", ("50", 30), decision={"entitled": False, "level": None})
    public = triaged("PS-6", *on_time("50", "75"), extra=[Comment(f"({marker(1, '90')})", True, T0)])
    counts = count([missed, doubled, early, late, not_entitled, public], config, cutoff, late_after=60)
    assert counts.missed == [("PS-1", "90"), ("PS-6", "90")] and counts.superseded_by_firing == []
    assert counts.doubled == [("PS-2", "75", 2)]
    assert counts.unexpected == [("PS-5", "50")]
    assert counts.early == [("PS-3", "100", -1200.0)]
    assert counts.late == [("PS-4", "90", pytest.approx(120.0))]
    assert counts.reminders_expected == 6 * 3 - 3  # PS-5 expects none
    assert counts.reminders_fired == 2 + 4 + 4 + 3 + 1 + 2


def test_issue_state_reads_what_the_simulator_shows():
    sim = JiraSimulator()
    key = sim.create_request(summary="Down", sen="SEN-10000001", fire_webhooks=False)["issueKey"]
    sim.store.set_property(key, "priority-support", L1, size=10)
    sim.add_comment(key, f"Triaged\n{decision_marker('ef56')}", public=False, author="psw@example.com")
    sim.add_comment(key, "Thanks", public=True, author="customer@example.com")
    raw = sim.app.test_client().get(f"/_sim/issues/{key}").get_json()
    state = issue_state(raw)
    assert state.key == key and state.decision == L1
    assert abs((state.created - datetime.now(UTC)).total_seconds()) < 60
    assert [(c.public, c.body.split()[0]) for c in state.comments] == [(False, "Triaged"), (True, "Thanks")]
    assert abs((state.comments[0].created - state.created).total_seconds()) < 60


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0 and percentile([3.0, 1.0, 2.0], 100) == 3.0


def test_a_threshold_passed_over_by_a_late_triage_or_a_late_firing_is_told_apart_from_a_missed_one(config):
    cutoff = T0 + timedelta(hours=2)
    late_triage = IssueState("PS-1", T0, L1, (
        internal(f"Triage.\n{decision_marker('ab12')}", T0 + timedelta(minutes=50)),  # after 75 %'s instant
        *(internal(f"({marker(1, code)})", T0 + timedelta(minutes=m)) for code, m in (("75", 50), ("90", 54.1),
                                                                                      ("100", 60.1)))))
    late_firing = triaged("PS-2", *on_time("50", "90", "100"))  # 75 % came after 90 %'s instant: dropped
    nothing_after = triaged("PS-3", *on_time("50", "75", "90"))  # 100 % never posted: missed
    counts = count([late_triage, late_firing, nothing_after], config, cutoff, late_after=60)
    assert counts.superseded_by_triage == [("PS-1", "50")]
    assert ("PS-1", "75") not in [(k, c) for k, c, _ in counts.late]  # fired at the late triage: not late itself
    assert counts.superseded_by_firing == [("PS-2", "75")]
    assert counts.missed == [("PS-3", "100")]


def test_a_reminder_an_earlier_decision_fired_is_not_early_against_the_decision_that_replaced_it(config):
    # L1 decided at +2 s fired its 50 % at 30 min; an agent's change re-decided L2 (2 h, 24x5) at 35 min.
    l2 = {"entitled": True, "level": "L2", "region": "EMEA", "time_zone": "Europe/Amsterdam",
          "decision_id": "cd34"}
    issue = IssueState("PS-1", T0, l2, (
        internal(f"L1.\n{decision_marker('ab12')}", T0 + timedelta(seconds=2)),
        internal(f"({marker(1, '50')})", T0 + timedelta(minutes=30)),
        internal(f"L2.\n{decision_marker('cd34')}", T0 + timedelta(minutes=35)),
        internal(f"({marker(1, '75')})", T0 + timedelta(minutes=36))))  # 75 % of L2 is at 90 min: early
    counts = count([issue], config, cutoff=T0 + timedelta(hours=3))
    assert counts.early == [("PS-1", "75", -3240.0)]
    assert counts.redecided == ["PS-1"] and sorted(counts.triage_seconds) == [2.0]


def test_until_the_new_decision_is_on_the_issue_the_previous_one_governs(config):
    # The re-decision's comment went out at 35 min, its property only at 50 min (retries): at
    # 45 min the firing, which reads the property, still saw L1 and fired its 75 %. Not early.
    l2 = {"entitled": True, "level": "L2", "region": "EMEA", "time_zone": "Europe/Amsterdam",
          "decision_id": "cd34", "triaged_at": (T0 + timedelta(minutes=50)).isoformat()}
    issue = IssueState("PS-1", T0, l2, (
        internal(f"L1.\n{decision_marker('ab12')}", T0 + timedelta(seconds=2)),
        internal(f"L2.\n{decision_marker('cd34')}", T0 + timedelta(minutes=35)),
        internal(f"({marker(1, '75')})", T0 + timedelta(minutes=45))))
    assert count([issue], config, cutoff=T0 + timedelta(hours=3)).early == []
