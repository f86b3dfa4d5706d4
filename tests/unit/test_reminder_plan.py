"""The reminder plan read from the triage's property: threshold codes, validation, pending rule."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.component.conftest import decision_property
from worker.reminders.plan import PlanError, ReminderPlan, threshold_at, threshold_code

UTC = timezone.utc
CREATED = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("at, code", [(0.5, "50"), (0.75, "75"), (0.9, "90"), (1.0, "100"), (1, "100"),
                                      (0.125, "12.5"), (0.333, "33.3")])
def test_threshold_codes_are_short_and_exact(at, code):
    assert threshold_code(at) == code
    assert threshold_at(code) == pytest.approx(at)


@given(st.integers(min_value=1, max_value=10000))
def test_every_hundredth_of_a_percent_round_trips(n):
    at = n / 10000
    assert threshold_code(threshold_at(threshold_code(at))) == threshold_code(at)
    assert threshold_at(threshold_code(at)) == pytest.approx(at, abs=1e-9)


@pytest.mark.parametrize("bad", [0, -0.5, 1.5, "0.5", None, True])
def test_threshold_code_refuses_what_is_not_a_fraction(bad):
    with pytest.raises(ValueError, match="threshold"):
        threshold_code(bad)


@pytest.mark.parametrize("bad", ["", "abc", "0", "150", "50.0", "075"])
def test_threshold_at_refuses_non_canonical_codes(bad):
    with pytest.raises(ValueError, match="not a threshold code"):
        threshold_at(bad)


def test_plan_reads_the_decision_the_triage_writes():
    prop = decision_property("L1", CREATED, CREATED)
    plan = ReminderPlan.from_property("PS-1", prop)
    assert plan.entitled and plan.cycle == 1 and plan.level == "L1" and plan.region == "EMEA"
    assert [t.code for t in plan.thresholds] == ["50", "75", "90", "100"]
    assert [t.instant - CREATED for t in plan.thresholds] == [
        timedelta(minutes=30), timedelta(minutes=45), timedelta(minutes=54), timedelta(hours=1)]
    assert plan.due == CREATED + timedelta(hours=1)
    assert plan.thresholds[-1].is_breach and plan.thresholds[1].percent == "75%"


def test_a_property_may_name_another_sla_cycle():
    prop = decision_property("L1", CREATED, CREATED, sla_cycle=3)
    assert ReminderPlan.from_property("PS-1", prop).cycle == 3


def test_a_not_entitled_decision_has_no_thresholds():
    plan = ReminderPlan.from_property("PS-2", {"entitled": False, "level": None, "reminders": [], "due": None})
    assert not plan.entitled and plan.thresholds == ()


@pytest.mark.parametrize("change, message", [
    ({"entitled": "yes"}, "no boolean 'entitled'"),
    ({"sla_cycle": 0}, "'sla_cycle' must be a whole number >= 1"),
    ({"due": "tomorrow"}, "'due' 'tomorrow' is not an ISO 8601 instant"),
    ({"due": "2026-11-26T11:00:00"}, "'due' '2026-11-26T11:00:00' has no UTC offset"),
    ({"reminders": {"at": 0.5}}, "'reminders' must be a list"),
    ({"reminders": [{"at": 2, "instant": "2026-11-26T11:00:00Z"}]}, r"reminders\[0\].at"),
    ({"reminders": [{"at": 0.5}]}, r"'reminders\[0\].instant' None is not an ISO 8601 instant"),
    ({"reminders": [{"at": 0.5, "instant": "2026-11-26T11:00:00Z"}] * 2}, "names a threshold twice"),
])
def test_a_broken_property_is_refused_naming_the_issue_and_key(change, message):
    prop = {**decision_property("L1", CREATED, CREATED), **change}
    with pytest.raises(PlanError, match=message) as caught:
        ReminderPlan.from_property("PS-7", prop)
    assert str(caught.value).startswith("PS-7: ")


def test_a_property_that_is_not_an_object_is_refused():
    with pytest.raises(PlanError, match="must be a JSON object"):
        ReminderPlan.from_property("PS-7", ["entitled"])


instants = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=6, unique=True)


@given(offsets=instants, now_offset=st.integers(min_value=-10, max_value=10_010))
def test_pending_is_every_threshold_ahead_plus_only_the_highest_passed(offsets, now_offset):
    offsets = sorted(offsets)
    codes = [threshold_code(round((i + 1) / len(offsets), 4)) for i in range(len(offsets))]
    prop = {"entitled": True, "due": (CREATED + timedelta(minutes=offsets[-1])).isoformat(),
            "reminders": [{"at": threshold_at(c), "instant": (CREATED + timedelta(minutes=m)).isoformat()}
                          for c, m in zip(codes, offsets)]}
    plan = ReminderPlan.from_property("PS-1", prop)
    now = CREATED + timedelta(minutes=now_offset)
    pending = plan.pending(now)
    passed = [t for t in plan.thresholds if t.instant <= now]
    assert [t for t in pending if t.instant > now] == [t for t in plan.thresholds if t.instant > now]
    assert [t for t in pending if t.instant <= now] == passed[-1:]
    assert plan.highest_passed(now) == (passed[-1] if passed else None)
