"""Named cases of the SLA clock: the policy's own examples and every edge rule, by hand."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from worker.config.values import BusinessDays

from worker.policy.calendar import (
    FRIDAY,
    MONDAY,
    SUNDAY,
    Edge,
    always_open,
    global_business_week,
    regional,
    wall_to_us,
)
from worker.config import default_config_path, load_config
from worker.policy.sla import LevelTarget, Region, SlaPolicy

UTC = timezone.utc
LA = ZoneInfo("America/Los_Angeles")
AMS = ZoneInfo("Europe/Amsterdam")
SYD = ZoneInfo("Australia/Sydney")
HOUR = timedelta(hours=1)
US = timedelta(microseconds=1)
POLICY = load_config(default_config_path()).sla_policy()  # the shipped defaults (docs/POLICY.md)
NINE_TO_FIVE = {weekday: ((time(9), time(17)),) for weekday in range(5)}
GLOBAL = POLICY.calendars["24x5-global"]


def at(zone: ZoneInfo, *fields: int, fold: int = 0) -> datetime:
    # In UTC: an aware datetime in a DST gap or overlap never compares equal across zones (PEP 495).
    return datetime(*fields, tzinfo=zone, fold=fold).astimezone(UTC)


# -- the global business week ------------------------------------------------------------------

@pytest.mark.parametrize("friday", [date(2025, 3, 7), date(2025, 3, 14), date(2025, 4, 11), date(2025, 10, 10),
                                    date(2025, 11, 7), date(2026, 1, 2)])
def test_l2_created_friday_1630_los_angeles_is_due_90_minutes_after_monday_1000_sydney(friday):
    created = datetime.combine(friday, time(16, 30), LA)
    monday_10_sydney = datetime.combine(friday + timedelta(days=3), time(10), SYD)
    times = POLICY.due("L2", "EMEA", created)
    assert times.due == monday_10_sydney + timedelta(hours=1, minutes=30)
    assert times.due.tzinfo is UTC
    # 30 minutes before the weekend, then the rest from Monday 10:00 Sydney
    assert times.reminders == {0.5: monday_10_sydney + timedelta(minutes=30),
                               0.75: monday_10_sydney + HOUR,
                               0.9: monday_10_sydney + timedelta(minutes=78)}


def test_2025_global_weekends_last_46_h_on_18_47_h_on_8_and_48_h_on_26():
    lengths = Counter()
    friday = date(2025, 1, 3)
    while friday.year == 2025:
        closes = datetime.combine(friday, time(17), LA)
        opens = datetime.combine(friday + timedelta(days=3), time(10), SYD)
        assert GLOBAL.is_open(closes - US) and not GLOBAL.is_open(closes)
        assert GLOBAL.next_opening(closes) == opens
        assert not GLOBAL.is_open(opens - US) and GLOBAL.is_open(opens)
        assert GLOBAL.next_closing(opens) == datetime.combine(friday + timedelta(days=7), time(17), LA)
        lengths[(opens - closes) / HOUR] += 1
        friday += timedelta(days=7)
    assert lengths == {46: 18, 47: 8, 48: 26}


def test_global_week_is_open_across_utc_week_boundaries():
    # Monday 00:00 UTC falls inside the working week: the interval must not split there.
    sunday_night = at(UTC, 2025, 6, 15, 23, 30)  # Monday 09:30 Sydney: still the weekend
    assert not GLOBAL.is_open(sunday_night)
    assert GLOBAL.next_closing(sunday_night) == at(LA, 2025, 6, 20, 17)
    assert list(GLOBAL.intervals(at(UTC, 2025, 6, 14), at(UTC, 2025, 6, 28))) == [
        (at(SYD, 2025, 6, 16, 10), at(LA, 2025, 6, 20, 17)), (at(SYD, 2025, 6, 23, 10), at(LA, 2025, 6, 27, 17))]


def test_l2_edges_exactly():
    closes, opens = at(LA, 2025, 5, 16, 17), at(SYD, 2025, 5, 19, 10)
    assert POLICY.due("L2", "AMER", closes).due == opens + 2 * HOUR
    assert POLICY.due("L2", "AMER", opens).due == opens + 2 * HOUR
    assert POLICY.due("L2", "AMER", closes - 2 * HOUR).due == closes  # uses Friday up exactly
    assert GLOBAL.elapsed(closes - HOUR, opens + HOUR) == 2 * HOUR


def test_global_week_edges_are_configurable_per_zone():
    week = global_business_week("custom", closes=("Europe/Amsterdam", FRIDAY, time(18)),
                                opens=Edge("Asia/Tokyo", MONDAY, time(9)))
    assert not week.is_open(at(AMS, 2025, 1, 10, 18))
    assert week.next_opening(at(AMS, 2025, 1, 10, 18)) == at(ZoneInfo("Asia/Tokyo"), 2025, 1, 13, 9)


# -- regional calendars ------------------------------------------------------------------------

@pytest.mark.parametrize("region, created, due", [
    # Liberation Day (NL), a Monday: the clock starts Tuesday 09:00
    ("EMEA", at(AMS, 2025, 5, 5, 10), at(AMS, 2025, 5, 6, 17)),
    # Thanksgiving and the day after (US-CA): due the Monday after
    ("AMER", at(LA, 2025, 11, 27, 11), at(LA, 2025, 12, 1, 17)),
    # Easter Monday (AU-NSW)
    ("APAC", at(SYD, 2025, 4, 21, 12), at(SYD, 2025, 4, 22, 17)),
])
def test_l3_created_on_a_regional_public_holiday(region, created, due):
    calendar = POLICY.calendar_for("L3", region)
    assert not calendar.is_open(created)
    assert POLICY.due("L3", region, created).due == due


def test_a_holiday_of_one_region_is_a_working_day_elsewhere():
    thanksgiving = at(LA, 2025, 11, 27, 10)
    assert not POLICY.calendar_for("L3", "AMER").is_open(thanksgiving)
    assert POLICY.calendar_for("L3", "EMEA").is_open(at(AMS, 2025, 11, 27, 10))


@pytest.mark.parametrize("region, zone", [("AMER", LA), ("EMEA", AMS), ("APAC", SYD)])
def test_l3_and_l4_created_at_1659_local(region, zone):
    wednesday = at(zone, 2025, 6, 11, 16, 59)
    times = POLICY.due("L3", region, wednesday)
    assert times.due == at(zone, 2025, 6, 12, 16, 59)
    assert times.reminders[0.5] == at(zone, 2025, 6, 12, 12, 59)
    friday = at(zone, 2025, 6, 13, 16, 59)
    assert POLICY.due("L3", region, friday).due == at(zone, 2025, 6, 16, 16, 59)
    assert POLICY.due("L4", region, friday).due == at(zone, 2025, 6, 17, 16, 59)


def test_l3_created_at_1659_before_a_long_weekend():
    created = at(LA, 2025, 11, 26, 16, 59)  # Wednesday before Thanksgiving
    assert POLICY.due("L3", "AMER", created).due == at(LA, 2025, 12, 1, 16, 59)


def test_start_exactly_on_an_opening_edge():
    calendar = POLICY.calendar_for("L3", "EMEA")
    opening = at(AMS, 2025, 6, 10, 9)
    assert calendar.is_open(opening) and not calendar.is_open(opening - US)
    assert calendar.next_opening(opening) == opening
    assert calendar.next_closing(opening) == at(AMS, 2025, 6, 10, 17)
    assert calendar.add(opening, 8 * HOUR) == at(AMS, 2025, 6, 10, 17)  # lands on the closing edge
    assert calendar.add(opening, timedelta(0)) == opening
    assert calendar.elapsed(opening, at(AMS, 2025, 6, 10, 17)) == 8 * HOUR


def test_start_exactly_on_a_closing_edge():
    calendar = POLICY.calendar_for("L3", "EMEA")
    closing = at(AMS, 2025, 6, 10, 17)
    assert not calendar.is_open(closing) and calendar.is_open(closing - US)
    assert calendar.next_opening(closing) == at(AMS, 2025, 6, 11, 9)
    assert calendar.next_closing(closing) == at(AMS, 2025, 6, 11, 17)
    assert calendar.add(closing, timedelta(0)) == at(AMS, 2025, 6, 11, 9)
    assert calendar.add(closing, 8 * HOUR) == at(AMS, 2025, 6, 11, 17)
    assert calendar.elapsed(closing, at(AMS, 2025, 6, 11, 9)) == timedelta(0)


def test_working_hours_are_local_wall_clock_across_a_dst_change():
    calendar = POLICY.calendar_for("L3", "AMER")
    friday = at(LA, 2025, 3, 7, 13)  # PST; the clocks go forward on Sunday 9 March
    assert calendar.add(friday, 8 * HOUR) == at(LA, 2025, 3, 10, 13)  # 13:00 PDT
    assert calendar.add(friday, 8 * HOUR) - friday == timedelta(days=3) - HOUR


def test_several_ranges_per_day_and_overlapping_ranges():
    lunch = regional("lunch", "Europe/Amsterdam", {0: [(time(13), time(17)), (time(9), time(12))]})
    monday = at(AMS, 2025, 6, 9)
    assert lunch.elapsed(monday, monday + 24 * HOUR) == 7 * HOUR
    assert not lunch.is_open(at(AMS, 2025, 6, 9, 12, 30))
    assert lunch.add(at(AMS, 2025, 6, 9, 11), 2 * HOUR) == at(AMS, 2025, 6, 9, 14)
    overlapping = regional("o", "Europe/Amsterdam", {0: [(time(9), time(13)), (time(12), time(17))]})
    assert list(overlapping.intervals(monday, monday + 24 * HOUR)) == [
        (at(AMS, 2025, 6, 9, 9), at(AMS, 2025, 6, 9, 17))]


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Auckland", "Pacific/Kiritimati"])
def test_ranges_whose_utc_date_differs_from_the_local_date(zone):
    tz = ZoneInfo(zone)
    calendar = regional("late", zone, {SUNDAY: [(time(20), time(22))],
                                       MONDAY: [(time(1), time(3)), (time(23), time(0))]})
    monday = at(tz, 2025, 6, 9)
    assert list(calendar.intervals(monday - 24 * HOUR, monday + 24 * HOUR)) == [
        (at(tz, 2025, 6, 8, 20), at(tz, 2025, 6, 8, 22)), (at(tz, 2025, 6, 9, 1), at(tz, 2025, 6, 9, 3)),
        (at(tz, 2025, 6, 9, 23), at(tz, 2025, 6, 10))]
    assert calendar.elapsed(monday, monday + 7 * 24 * HOUR) == 5 * HOUR


def test_extra_closed_dates_close_the_whole_local_day():
    calendar = regional("x", "Europe/Amsterdam", NINE_TO_FIVE, "NL", None, extra_closed={date(2025, 6, 17)})
    assert calendar.add(at(AMS, 2025, 6, 16, 16), 2 * HOUR) == at(AMS, 2025, 6, 18, 10)
    assert POLICY.calendar_for("L3", "EMEA").add(at(AMS, 2025, 6, 16, 16), 2 * HOUR) == at(AMS, 2025, 6, 17, 10)


# -- DST gaps and overlaps at the edges ---------------------------------------------------------

ROUND_THE_CLOCK = {d: [(time(0), time(0))] for d in range(7)}


def test_a_holiday_on_a_dst_day_closes_23_or_25_real_hours():
    calendar = regional("rtc", "America/Los_Angeles", ROUND_THE_CLOCK, None, None,
                        extra_closed={date(2025, 3, 9), date(2025, 11, 2)})
    spring = list(calendar.intervals(at(LA, 2025, 3, 8), at(LA, 2025, 3, 11)))
    assert spring == [(at(LA, 2025, 3, 8), at(LA, 2025, 3, 9)), (at(LA, 2025, 3, 10), at(LA, 2025, 3, 11))]
    assert at(LA, 2025, 3, 10) - at(LA, 2025, 3, 9) == 23 * HOUR
    assert calendar.elapsed(at(LA, 2025, 11, 1), at(LA, 2025, 11, 4)) == 48 * HOUR
    assert calendar.next_closing(at(LA, 2025, 10, 1)) == at(LA, 2025, 11, 2)


def test_an_edge_in_a_dst_gap_happens_at_the_transition():
    # 02:30 does not exist on 9 March 2025 in Los Angeles: 01:59:59 PST is followed by 03:00 PDT.
    assert wall_to_us(LA, date(2025, 3, 9), time(2, 30)) == (at(UTC, 2025, 3, 9, 10) - at(UTC, 1970, 1, 1)) // US
    calendar = regional("gap", "America/Los_Angeles", {SUNDAY: [(time(2, 30), time(4))]})
    assert list(calendar.intervals(at(LA, 2025, 3, 9), at(LA, 2025, 3, 10))) == [
        (at(UTC, 2025, 3, 9, 10), at(LA, 2025, 3, 9, 4))]
    assert calendar.elapsed(at(LA, 2025, 3, 9), at(LA, 2025, 3, 10)) == HOUR
    assert calendar.elapsed(at(LA, 2025, 3, 16), at(LA, 2025, 3, 17)) == 90 * timedelta(minutes=1)


def test_an_edge_in_a_dst_overlap_happens_the_first_time():
    # 01:00-01:59 happens twice on 2 November 2025 in Los Angeles (PDT, then PST).
    opens_in_overlap = regional("a", "America/Los_Angeles", {SUNDAY: [(time(1, 30), time(3))]})
    assert opens_in_overlap.next_opening(at(LA, 2025, 11, 2)) == at(LA, 2025, 11, 2, 1, 30, fold=0)
    assert opens_in_overlap.elapsed(at(LA, 2025, 11, 2), at(LA, 2025, 11, 3)) == timedelta(hours=2, minutes=30)
    closes_in_overlap = regional("b", "America/Los_Angeles", {SUNDAY: [(time(0), time(1, 30))]})
    assert closes_in_overlap.next_closing(at(LA, 2025, 11, 2)) == at(LA, 2025, 11, 2, 1, 30, fold=0)
    assert not closes_in_overlap.is_open(at(LA, 2025, 11, 2, 1, 15, fold=1))  # the second 01:15
    assert closes_in_overlap.elapsed(at(LA, 2025, 11, 2), at(LA, 2025, 11, 3)) == 90 * timedelta(minutes=1)


@pytest.mark.parametrize("created, due", [
    (at(LA, 2025, 3, 9, 1, 30), at(LA, 2025, 3, 9, 3, 30)),                  # spring forward: 03:30 PDT
    (at(LA, 2025, 11, 2, 1, 30, fold=0), at(LA, 2025, 11, 2, 1, 30, fold=1)),  # fall back: 01:30 PST
    (at(AMS, 2025, 3, 30, 1, 30), at(AMS, 2025, 3, 30, 3, 30)),
    (at(SYD, 2025, 4, 6, 2, 30, fold=0), at(SYD, 2025, 4, 6, 2, 30, fold=1)),
])
def test_a_24x7_target_across_a_dst_change_is_one_real_hour(created, due):
    times = POLICY.due("L1", "AMER", created)
    assert times.due == due
    assert times.due - created == HOUR
    assert POLICY.calendars["24x7"].elapsed(created, times.due) == HOUR
    assert times.reminders[0.5] == created + HOUR / 2


def test_a_weekly_calendar_open_round_the_clock_never_closes_unless_a_holiday_comes():
    assert regional("rtc", "Europe/Amsterdam", ROUND_THE_CLOCK).next_closing(at(UTC, 2025, 1, 1)) is None
    with_holidays = regional("rtc", "Europe/Amsterdam", ROUND_THE_CLOCK, "NL")
    assert with_holidays.next_closing(at(UTC, 2025, 1, 2)) == at(AMS, 2025, 4, 18)  # Good Friday


def test_24x7_never_closes():
    calendar = always_open()
    t = at(UTC, 2025, 1, 1)
    assert calendar.is_open(t) and calendar.next_opening(t) == t and calendar.next_closing(t) is None
    assert list(calendar.intervals(t, t + HOUR)) == [(t, t + HOUR)]


# -- the contract: inputs and results -----------------------------------------------------------

def test_results_are_utc_and_inputs_may_be_in_any_zone():
    calendar = POLICY.calendar_for("L3", "APAC")
    in_sydney = at(SYD, 2025, 6, 10, 10)
    due = calendar.add(in_sydney, HOUR)
    assert due.tzinfo is UTC and due == calendar.add(in_sydney.astimezone(LA), HOUR)


def test_elapsed_is_signed():
    calendar = POLICY.calendar_for("L3", "EMEA")
    a, b = at(AMS, 2025, 6, 10, 10), at(AMS, 2025, 6, 12, 10)
    assert calendar.elapsed(a, b) == 16 * HOUR
    assert calendar.elapsed(b, a) == -16 * HOUR


@pytest.mark.parametrize("call", [
    lambda c: c.is_open(datetime(2025, 1, 1)),
    lambda c: c.add(datetime(2025, 1, 1), HOUR),
    lambda c: c.elapsed(at(UTC, 2025, 1, 1), datetime(2025, 1, 2)),
    lambda c: c.next_opening(datetime(2025, 1, 1)),
    lambda c: c.add(at(UTC, 2025, 1, 1), -HOUR),
    lambda c: c.instant_at_fraction(at(UTC, 2025, 1, 1), HOUR, -0.5),
    lambda c: c.instant_at_fraction(at(UTC, 2025, 1, 1), HOUR, float("nan")),
    lambda c: c.add(at(UTC, 2025, 1, 1), timedelta(days=36600 + 100)),
])
def test_bad_arguments_raise_value_error(call):
    # naive datetimes, negative or absurd durations, fractions that are not finite and >= 0
    for calendar in (POLICY.calendars["24x7"], GLOBAL, POLICY.calendar_for("L3", "EMEA")):
        with pytest.raises(ValueError):
            call(calendar)


@pytest.mark.parametrize("make, message", [
    (lambda: regional("x", "Mars/Olympus", NINE_TO_FIVE), "unknown time zone 'Mars/Olympus'"),
    (lambda: regional("x", "Europe/Amsterdam", {0: [(time(17), time(9))]}), "ends before it starts"),
    (lambda: regional("x", "Europe/Amsterdam", {}), "no working hours"),
    (lambda: regional("x", "Europe/Amsterdam", {7: [(time(9), time(17))]}), "weekday must be"),
    (lambda: regional("x", "Europe/Amsterdam", NINE_TO_FIVE, "XX"), "no public holiday calendar for 'XX'"),
    (lambda: regional("x", "Europe/Amsterdam", NINE_TO_FIVE, "US", "ZZ"), "'US/ZZ'"),
    (lambda: global_business_week(closes=("America/Los_Angeles", 5, "17:00")), "wall-clock time"),
])
def test_bad_calendar_definitions_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_calendar_that_never_opens_says_so():
    mondays = {date(2025, 1, 6) + timedelta(weeks=n) for n in range(6 * 53)}
    calendar = regional("closed", "Europe/Amsterdam", {0: [(time(9), time(17))]}, extra_closed=mondays)
    with pytest.raises(ValueError, match="'closed' has no open time"):
        calendar.add(at(AMS, 2025, 1, 1), HOUR)
    with pytest.raises(ValueError, match="no open time"):
        calendar.next_opening(at(AMS, 2025, 1, 1))


# -- the policy --------------------------------------------------------------------------------

def test_default_levels_and_calendars():
    assert {k: (v.target, v.calendar) for k, v in POLICY.levels.items()} == {
        "L1": (HOUR, "24x7"), "L2": (2 * HOUR, "24x5-global"), "L3": (BusinessDays(1), "regional"),
        "L4": (BusinessDays(2), "regional")}
    # Every shipped region works 09:00-17:00, so a business day is 8 working hours in each.
    assert {(level, code): POLICY.target_for(level, code) for level in ("L3", "L4") for code in POLICY.regions} == {
        **{("L3", code): 8 * HOUR for code in POLICY.regions}, **{("L4", code): 16 * HOUR for code in POLICY.regions}}
    assert POLICY.calendar_for("L1", "APAC") is POLICY.calendars["24x7"]
    assert POLICY.calendar_for("L2", "AMER") is GLOBAL
    assert POLICY.calendar_for("L3", "APAC") is POLICY.calendar_for("L4", "APAC")
    assert POLICY.calendar_for("L3", "APAC") is not POLICY.calendar_for("L3", "EMEA")


def test_reminders_are_fractions_of_the_target_on_the_levels_calendar():
    created = at(SYD, 2025, 12, 24, 15)  # Christmas and Boxing Day (AU-NSW) in between
    times = POLICY.due("L4", "APAC", created)
    calendar = POLICY.calendar_for("L4", "APAC")
    for fraction, instant in times.reminders.items():
        assert instant == calendar.instant_at_fraction(created, 16 * HOUR, fraction)
        assert calendar.elapsed(created, instant) == 16 * HOUR * fraction
    assert times.reminders[0.5] == at(SYD, 2025, 12, 29, 15)
    assert times.due == at(SYD, 2025, 12, 30, 15)


def test_a_per_customer_zone_moves_the_regional_calendar():
    created = at(UTC, 2025, 6, 10, 8)  # 09:00 London, 10:00 Amsterdam
    assert POLICY.due("L3", "EMEA", created, zone="Europe/London").due == at(ZoneInfo("Europe/London"), 2025, 6, 10, 17)
    assert POLICY.due("L3", "EMEA", created).due == at(AMS, 2025, 6, 11, 10)


def test_unknown_level_or_region_is_a_key_error_naming_it():
    with pytest.raises(KeyError, match="unknown level 'L9'; known: L1, L2, L3, L4"):
        POLICY.calendar_for("L9", "EMEA")
    with pytest.raises(KeyError, match="unknown region 'XX'; known: AMER, APAC, EMEA"):
        POLICY.due("L3", "XX", at(UTC, 2025, 1, 1))


def test_policy_configuration_errors_are_named():
    region = Region("R", "Europe/Amsterdam", None, None, NINE_TO_FIVE)
    with pytest.raises(ValueError, match="level L5: unknown calendar '24x6'"):
        SlaPolicy({"L5": LevelTarget("L5", HOUR, "24x6")}, {"R": region})
    with pytest.raises(ValueError, match="threshold"):
        SlaPolicy({"L5": LevelTarget("L5", HOUR, "24x7")}, {"R": region}, thresholds=(0.5, 1.5))
    with pytest.raises(ValueError, match="unknown time zone"):
        SlaPolicy({}, {"R": Region("R", "Nowhere/Land", None, None, NINE_TO_FIVE)})
