"""The fast SLA clock against the minute-walking oracle, over 2024-2030.

Starts are whole minutes, either anywhere in 2024-2030 or within three days of a DST change in
Los Angeles, Amsterdam or Sydney, a public holiday of a region, or a global weekend edge; targets
go up to five working days. Two sweeps add determinism: every DST change and every public holiday
of 2024-2030 gets its own case. Examples per run: 1500 (add and fraction instants), 600 (elapsed),
1000 (opening and closing), 2000 (elapsed undoes add, fast side only); about 16 s for the whole
file on one core, most of it in the oracle's minute walks.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.sla_oracle import MinuteOracle, always, dst_transitions, global_week, nine_to_five
from worker.config import default_config_path, load_config

UTC = timezone.utc
POLICY = load_config(default_config_path()).sla_policy()  # the shipped defaults (docs/POLICY.md)
REGIONS = {code: POLICY.regions[code] for code in ("AMER", "EMEA", "APAC")}

# name -> (fast calendar, oracle, length of one working day on it)
CLOCKS = {
    "24x7": (POLICY.calendars["24x7"], MinuteOracle(always), timedelta(hours=24)),
    "24x5-global": (POLICY.calendars["24x5-global"], MinuteOracle(global_week()), timedelta(hours=24)),
    **{code: (POLICY.calendar_for("L3", code),
              MinuteOracle(nine_to_five(r.zone, r.holiday_country, r.holiday_subdivision)),
              timedelta(hours=8))
       for code, r in REGIONS.items()},
}

FIRST, LAST = datetime(2024, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)
ZONES = ("America/Los_Angeles", "Europe/Amsterdam", "Australia/Sydney")
DST_CHANGES = sorted(t for zone in ZONES for t in dst_transitions(zone, 2024, 2030))


def _holiday_midnights() -> list[tuple[str, datetime]]:
    found = []
    for code, r in REGIONS.items():
        table = holidays.country_holidays(r.holiday_country, subdiv=r.holiday_subdivision, years=range(2024, 2031))
        for day in table:
            found.append((code, datetime.combine(day, time(0), ZoneInfo(r.zone)).astimezone(UTC)))
    return sorted(found, key=lambda item: item[1])


HOLIDAYS = _holiday_midnights()


def _global_edges() -> list[datetime]:
    la, sydney = ZoneInfo("America/Los_Angeles"), ZoneInfo("Australia/Sydney")
    friday = date(2024, 1, 5)
    edges = []
    while friday.year < 2031:
        edges.append(datetime.combine(friday, time(17), la).astimezone(UTC))
        edges.append(datetime.combine(friday + timedelta(days=3), time(10), sydney).astimezone(UTC))
        friday += timedelta(days=7)
    return edges


SPECIAL = DST_CHANGES + [t for _, t in HOLIDAYS] + _global_edges()
DAYS_3 = 3 * 24 * 60

anywhere = st.integers(0, (LAST - FIRST) // timedelta(minutes=1) - 1).map(lambda m: FIRST + timedelta(minutes=m))
near_special = st.builds(lambda t, m: t + timedelta(minutes=m), st.sampled_from(SPECIAL), st.integers(-DAYS_3, DAYS_3))
starts = st.one_of(anywhere, near_special)
clock_names = st.sampled_from(sorted(CLOCKS))
fractions = st.one_of(st.sampled_from([0.0, 0.5, 0.75, 0.9, 1.0]), st.floats(0, 1))

def slow(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def targets(draw, name: str) -> timedelta:
    """Whole minutes up to five working days of the named clock."""
    day_minutes = CLOCKS[name][2] // timedelta(minutes=1)
    return timedelta(minutes=draw(st.integers(0, 5 * day_minutes)))


@slow(1500)
@given(data=st.data(), name=clock_names, start=starts, fraction=fractions)
def test_add_and_fraction_instants_match_the_oracle(data, name, start, fraction):
    calendar, oracle, _ = CLOCKS[name]
    target = data.draw(targets(name), label="target")
    reminders = [target * f for f in (0.5, 0.75, 0.9, fraction)]
    expected = oracle.add_many(start, [target, *reminders])
    assert calendar.add(start, target) == expected[0]
    assert calendar.add_many(start, [target, *reminders]) == expected
    assert calendar.instant_at_fraction(start, target, fraction) == expected[-1]


@slow(600)
@given(name=clock_names, start=starts, minutes=st.integers(0, 2 * 7 * 24 * 60))
def test_elapsed_matches_the_oracle(name, start, minutes):
    calendar, oracle, _ = CLOCKS[name]
    end = start + timedelta(minutes=minutes)
    expected = oracle.elapsed(start, end)
    assert calendar.elapsed(start, end) == expected
    assert calendar.elapsed(end, start) == -expected


@slow(1000)
@given(name=clock_names, start=starts)
def test_opening_and_closing_match_the_oracle(name, start):
    calendar, oracle, _ = CLOCKS[name]
    assert calendar.is_open(start) == oracle.open_at(start)
    assert calendar.next_opening(start) == oracle.next_opening(start)
    if name == "24x7":
        assert calendar.next_closing(start) is None
    else:
        assert calendar.next_closing(start) == oracle.next_closing(start)


@settings(max_examples=2000, deadline=None)
@given(name=clock_names,
       start=st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31), timezones=st.sampled_from(
           [UTC, *(ZoneInfo(z) for z in ZONES)])),
       duration=st.timedeltas(timedelta(0), timedelta(days=7)),
       shorter=st.timedeltas(timedelta(0), timedelta(days=7)))
def test_elapsed_undoes_add_to_the_microsecond(name, start, duration, shorter):
    calendar, _, _ = CLOCKS[name]
    due = calendar.add(start, duration)
    assert due.tzinfo is UTC
    assert calendar.elapsed(start, due) == duration
    assert calendar.is_open(due - timedelta(microseconds=1)) or duration == timedelta(0)
    # a shorter target is never due later
    assert calendar.add(start, min(shorter, duration)) <= due


@pytest.mark.parametrize("change", DST_CHANGES, ids=lambda t: t.strftime("%Y-%m-%dT%H:%MZ"))
def test_every_dst_change_of_2024_to_2030(change):
    for name, (calendar, oracle, day) in CLOCKS.items():
        start = change - timedelta(hours=30)
        durations = [2 * day * f for f in (0.5, 0.75, 0.9, 1.0)]
        assert calendar.add_many(start, durations) == oracle.add_many(start, durations), name
        window = (change - timedelta(days=2), change + timedelta(days=2))
        assert calendar.elapsed(*window) == oracle.elapsed(*window), name


@pytest.mark.parametrize("region, midnight", HOLIDAYS, ids=lambda x: x if isinstance(x, str) else x.date().isoformat())
def test_every_public_holiday_of_2024_to_2030(region, midnight):
    calendar, oracle, _ = CLOCKS[region]
    start = midnight - timedelta(hours=9)  # the evening before, closed already
    durations = [timedelta(hours=16) * f for f in (0.5, 0.75, 0.9, 1.0)]
    assert calendar.add_many(start, durations) == oracle.add_many(start, durations)
    noon = midnight + timedelta(hours=12)
    assert not calendar.is_open(noon) and not oracle.open_at(noon)
