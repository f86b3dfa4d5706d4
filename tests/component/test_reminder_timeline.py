"""Time-moved (time-machine): what the beat claims, and when, for each level; recompute on a
severity change. The expected instants are worked out by hand from docs/POLICY.md, not by the core."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
import time_machine
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.component.conftest import decision_property
from worker import clock
from worker.reminders import schedule_for_decision
from worker.reminders.dispatch import dispatch_due
from worker.reminders.store import ReminderStore

UTC = timezone.utc
QUEUE = "test-reminders-queue"
LEASE = timedelta(minutes=5)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def beat(services) -> list[str]:
    """One tick of the beat at the (moved) current time: the reminders it queued. Their firing
    is taken as done at once (the claim released), as a worker would."""
    store = ReminderStore(services.redis)
    dispatch_due(store, lambda name: name.encode(), QUEUE, clock.now(), LEASE)
    fresh = []
    while (raw := services.redis.rpop(QUEUE)) is not None:
        fresh.append(raw.decode())
        store.release(raw.decode())
    return sorted(fresh)


# level, region, created (UTC), expected 50/75/90/100 % instants (UTC)
CASES = [
    # L1, 24x7: 30, 45, 54 and 60 minutes after creation.
    ("L1", "EMEA", utc(2026, 11, 26, 10, 0),
     [utc(2026, 11, 26, 10, 30), utc(2026, 11, 26, 10, 45), utc(2026, 11, 26, 10, 54), utc(2026, 11, 26, 11, 0)]),
    # L2, 24x5-global: created Friday 16:00 Los Angeles; one hour left before the weekend (the
    # 50 % lands on the closing edge, 17:00 PST = Sat 01:00 UTC); the clock restarts Monday 10:00
    # Sydney (AEDT, UTC+11) = Sunday 23:00 UTC.
    ("L2", "AMER", utc(2026, 11, 28, 0, 0),
     [utc(2026, 11, 28, 1, 0), utc(2026, 11, 29, 23, 30), utc(2026, 11, 29, 23, 48), utc(2026, 11, 30, 0, 0)]),
    # L3 AMER, created on Thanksgiving (Thu) 02:00 PST; Friday after Thanksgiving is a California
    # holiday too; the 8 working hours start Monday 09:00 PST (17:00 UTC).
    ("L3", "AMER", utc(2026, 11, 26, 10, 0),
     [utc(2026, 11, 30, 21, 0), utc(2026, 11, 30, 23, 0), utc(2026, 12, 1, 0, 12), utc(2026, 12, 1, 1, 0)]),
    # L4 EMEA, created Christmas Eve (Thu) 16:00 CET: 1 h that day, Christmas and Boxing Day
    # closed, then the weekend; Monday 28th 09:00-17:00 and Tuesday 29th for the remaining 7 h.
    ("L4", "EMEA", utc(2026, 12, 24, 15, 0),
     [utc(2026, 12, 28, 15, 0), utc(2026, 12, 29, 11, 0), utc(2026, 12, 29, 13, 24), utc(2026, 12, 29, 15, 0)]),
    # L3 APAC, created Friday 23 January 2026 16:00 AEDT: 1 h that day; Monday 26th is Australia
    # Day (NSW holiday); 7 h on Tuesday 27th from 09:00 AEDT (22:00 UTC Monday).
    ("L3", "APAC", utc(2026, 1, 23, 5, 0),
     [utc(2026, 1, 27, 1, 0), utc(2026, 1, 27, 3, 0), utc(2026, 1, 27, 4, 12), utc(2026, 1, 27, 5, 0)]),
]
CODES = ["50", "75", "90", "100"]


@pytest.mark.parametrize("level, region, created, expected", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]:%Y%m%d}" for c in CASES])
def test_each_threshold_is_claimed_at_its_instant_and_not_a_second_earlier(offline, level, region, created, expected):
    with time_machine.travel(created, tick=False) as traveller:
        prop = decision_property(level, created, created, region=region)
        assert schedule_for_decision(offline, "PS-1", prop, clock.now()) == 4
        assert beat(offline) == []
        for code, instant in zip(CODES, expected):
            traveller.move_to(instant - timedelta(seconds=1))
            assert beat(offline) == [], f"{code}% claimed before {instant}"
            traveller.move_to(instant)
            assert beat(offline) == [f"PS-1|{code}"], f"{code}% not claimed at {instant}"
        traveller.move_to(expected[-1] + timedelta(days=30))
        assert beat(offline) == []


def test_an_l3_reminder_is_never_claimed_at_night_at_a_weekend_or_on_a_holiday(offline):
    """Hour by hour through a week with a holiday: the only claims are the four thresholds, all
    inside AMER working hours."""
    created = utc(2026, 11, 25, 23, 0)  # Wednesday 15:00 PST, the day before Thanksgiving
    with time_machine.travel(created, tick=False) as traveller:
        prop = decision_property("L3", created, created, region="AMER")
        schedule_for_decision(offline, "PS-1", prop, clock.now())
        claims = []
        moment = created
        while moment < created + timedelta(days=8):
            moment += timedelta(minutes=12)
            traveller.move_to(moment)
            claims += [(moment, name) for name in beat(offline)]
    assert [name for _, name in claims] == [f"PS-1|{c}" for c in CODES]
    for moment, _ in claims:
        local = moment.astimezone(ZoneInfo("America/Los_Angeles"))
        assert local.weekday() < 5 and 9 <= local.hour < 17 or (local.hour, local.minute) == (17, 0)
        assert local.date() not in holidays.country_holidays("US", subdiv="CA", years=local.year)
    # 2 h on Wednesday; Thanksgiving and the day after are closed; 50 % (4 h) on Monday 11:00.
    assert claims[0][0] == utc(2026, 11, 30, 19, 0)


REGIONS = {"AMER": ("America/Los_Angeles", "US", "CA"), "EMEA": ("Europe/Amsterdam", "NL", None),
           "APAC": ("Australia/Sydney", "AU", "NSW")}


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(level=st.sampled_from(["L3", "L4"]), region=st.sampled_from(sorted(REGIONS)),
       created=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31),
                            timezones=st.just(UTC)).map(lambda d: d.replace(second=0, microsecond=0)))
def test_regional_reminders_fall_only_in_working_hours_of_the_region(offline, level, region, created):
    offline.redis.flushdb()
    zone, country, subdivision = REGIONS[region]
    closed = holidays.country_holidays(country, subdiv=subdivision, years=range(2024, 2029))
    with time_machine.travel(created, tick=False) as traveller:
        prop = decision_property(level, created, created, region=region)
        schedule_for_decision(offline, "PS-1", prop, clock.now())
        for item in prop["reminders"]:
            instant = datetime.fromisoformat(item["instant"])
            traveller.move_to(instant - timedelta(seconds=1))
            assert beat(offline) == []
            traveller.move_to(instant)
            assert len(beat(offline)) == 1
            local = instant.astimezone(ZoneInfo(zone))
            minutes = local.hour * 60 + local.minute
            assert local.weekday() < 5, f"{item} falls on a weekend in {zone}"
            assert date(local.year, local.month, local.day) not in closed, f"{item} falls on a holiday"
            assert 9 * 60 < minutes <= 17 * 60, f"{item} falls outside 09:00-17:00 in {zone}"


def test_severity_l3_to_l1_fires_only_the_highest_passed_threshold_once(offline):
    created = utc(2026, 12, 7, 8, 0)  # Monday 09:00 Amsterdam
    with time_machine.travel(created, tick=False) as traveller:
        schedule_for_decision(offline, "PS-1", decision_property("L3", created, created), clock.now())
        traveller.move_to(created + timedelta(hours=2))  # L1 would have breached an hour ago
        l1 = decision_property("L1", created, clock.now())
        assert schedule_for_decision(offline, "PS-1", l1, clock.now()) == 1
        assert beat(offline) == ["PS-1|100"]
        for hours in (3, 4, 6, 8, 30):  # where the L3 reminders were
            traveller.move_to(created + timedelta(hours=hours))
            assert beat(offline) == []


def test_severity_l1_to_l3_moves_the_reminders_to_the_l3_clock_and_keeps_fired_ones_fired(offline):
    created = utc(2026, 12, 7, 8, 0)  # Monday 09:00 Amsterdam
    store = ReminderStore(offline.redis)
    with time_machine.travel(created, tick=False) as traveller:
        schedule_for_decision(offline, "PS-1", decision_property("L1", created, created), clock.now())
        traveller.move_to(created + timedelta(minutes=30))
        assert beat(offline) == ["PS-1|50"]
        store.mark_fired("PS-1", 1, "50")  # what the firing does once its actions are done
        store.release("PS-1|50")
        traveller.move_to(created + timedelta(minutes=40))
        l3 = decision_property("L3", created, clock.now())
        # L3 from 09:00: 50 % at 13:00, 75 % at 15:00, 90 % at 16:12, 100 % at 17:00 Amsterdam;
        # none has passed, and 50 % already fired in this cycle.
        assert schedule_for_decision(offline, "PS-1", l3, clock.now()) == 3
        traveller.move_to(created + timedelta(minutes=45))  # where L1's 75 % was
        assert beat(offline) == []
        traveller.move_to(utc(2026, 12, 7, 12, 0))
        assert beat(offline) == []
        traveller.move_to(utc(2026, 12, 7, 14, 0))
        assert beat(offline) == ["PS-1|75"]
        traveller.move_to(utc(2026, 12, 7, 16, 0))
        assert beat(offline) == ["PS-1|100", "PS-1|90"]


def test_a_late_triage_schedules_one_catch_up_reminder(offline):
    created = utc(2026, 12, 7, 8, 0)
    with time_machine.travel(created + timedelta(minutes=50), tick=False):
        prop = decision_property("L1", created, clock.now())
        assert schedule_for_decision(offline, "PS-1", prop, clock.now()) == 3  # 75 % now, 90 and 100 ahead
        assert beat(offline) == ["PS-1|75"]


def test_a_not_entitled_decision_takes_the_reminders_away(offline):
    created = utc(2026, 12, 7, 8, 0)
    with time_machine.travel(created, tick=False) as traveller:
        schedule_for_decision(offline, "PS-1", decision_property("L1", created, created), clock.now())
        assert schedule_for_decision(offline, "PS-1", {"entitled": False}, clock.now()) == 0
        traveller.move_to(created + timedelta(hours=2))
        assert beat(offline) == []
    kinds = [entry["kind"] for entry in offline.audit.entries("PS-1")]
    assert kinds == ["reminders_cancelled", "reminders_scheduled"]


def test_schedule_refuses_a_naive_now_and_a_broken_property(offline):
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule_for_decision(offline, "PS-1", {"entitled": True}, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="PS-1: property priority-support has no boolean 'entitled'"):
        schedule_for_decision(offline, "PS-1", {}, utc(2026, 1, 1))


def test_a_threshold_the_config_has_no_actions_for_is_not_scheduled(offline):
    created = utc(2026, 12, 7, 8, 0)
    prop = decision_property("L1", created, created)
    prop["reminders"].append({"at": 0.6, "instant": "2026-12-07T08:36:00Z"})
    assert schedule_for_decision(offline, "PS-1", prop, created) == 4
    assert sorted(ReminderStore(offline.redis).scheduled("PS-1", ["50", "60", "75", "90", "100"]), key=float) == \
        ["50", "75", "90", "100"]
