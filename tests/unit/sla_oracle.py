"""A brute-force SLA clock to check worker.policy.calendar against.

It shares no code with the fast implementation: whether a minute is open is decided by looking at
the wall clock (zoneinfo) and asking the `holidays` package about the local date, and every
operation walks the timeline one minute at a time. That is exact as long as starts fall on whole
minutes and every edge of the calendar does too (true for the policy's zones and hours), because
then a minute is either wholly open or wholly closed. Durations may have sub-minute parts (90 % of
7 minutes); the walk places them inside the last open minute.

`MinuteTimeline` precomputes the same per-minute answers over a range once, with running totals,
so the benchmark can check 100,000 results in seconds instead of hours.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays

MINUTE = timedelta(minutes=1)
UTC = timezone.utc
OpenAt = Callable[[datetime], bool]  # is the minute starting at this UTC instant open?
_WALK_LIMIT = 60 * 24 * 366  # a year of minutes: enough for every target the tests use


def always(_: datetime) -> bool:
    return True


def nine_to_five(zone: str, country: str | None, subdivision: str | None,
                 extra_closed: Iterable[date] = (),
                 hours: Mapping[int, Sequence[tuple[time, time]]] | None = None) -> OpenAt:
    """Open when the local wall clock is inside a working range of a non-holiday local date."""
    tz = ZoneInfo(zone)
    ranges = hours if hours is not None else {d: [(time(9), time(17))] for d in range(5)}
    holiday_table = holidays.country_holidays(country, subdiv=subdivision) if country else {}
    extra = frozenset(extra_closed)
    closed_memo: dict[date, bool] = {}

    def is_open(u: datetime) -> bool:
        local = u.astimezone(tz)
        day = local.date()
        closed = closed_memo.get(day)
        if closed is None:
            closed = closed_memo[day] = day in extra or day in holiday_table
        if closed:
            return False
        wall = local.time()
        return any(start <= wall < end for start, end in ranges.get(local.weekday(), ()))
    return is_open


def global_week() -> OpenAt:
    """Closed while Los Angeles is between Friday 17:00 and Sunday midnight *and* Sydney is between
    Saturday 00:00 and Monday 10:00: that conjunction is exactly the policy's global weekend."""
    la, sydney = ZoneInfo("America/Los_Angeles"), ZoneInfo("Australia/Sydney")

    def is_open(u: datetime) -> bool:
        west = u.astimezone(la)
        east = u.astimezone(sydney)
        west_weekend = (west.weekday() == 4 and west.hour >= 17) or west.weekday() >= 5
        east_weekend = east.weekday() == 5 or east.weekday() == 6 or (east.weekday() == 0 and east.hour < 10)
        return not (west_weekend and east_weekend)
    return is_open


def _check_minute(t: datetime) -> None:
    if t.tzinfo is None or t.second or t.microsecond:
        raise ValueError(f"the oracle needs aware whole-minute instants, got {t!r}")


class MinuteOracle:
    def __init__(self, open_at: OpenAt) -> None:
        self.open_at = open_at

    def add_many(self, start: datetime, durations: Sequence[timedelta]) -> list[datetime]:
        """For each duration, the first instant at which that much open time has passed."""
        _check_minute(start)
        t = start.astimezone(UTC)
        for _ in range(_WALK_LIMIT):
            if self.open_at(t):
                break
            t += MINUTE
        else:
            raise AssertionError("no opening within the walk limit")
        wanted = sorted(set(durations))
        found: dict[timedelta, datetime] = {}
        done = timedelta(0)  # open time in [first opening, t)
        for _ in range(_WALK_LIMIT):
            while wanted and wanted[0] == done:  # reached exactly at the end of an open minute
                found[wanted.pop(0)] = t
            if not wanted:
                return [found[d] for d in durations]
            if self.open_at(t):
                while wanted and wanted[0] < done + MINUTE:  # reached inside this minute
                    found[wanted[0]] = t + (wanted[0] - done)
                    wanted.pop(0)
                done += MINUTE
            t += MINUTE
        raise AssertionError("target not reached within the walk limit")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return self.add_many(start, [duration])[0]

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        _check_minute(start)
        _check_minute(end)
        t, total = start, timedelta(0)
        while t < end:
            if self.open_at(t):
                total += MINUTE
            t += MINUTE
        return total

    def next_opening(self, t: datetime) -> datetime:
        _check_minute(t)
        t = t.astimezone(UTC)
        while not self.open_at(t):
            t += MINUTE
        return t

    def next_closing(self, t: datetime) -> datetime:
        t = self.next_opening(t)
        while self.open_at(t):
            t += MINUTE
        return t


class MinuteTimeline:
    """The per-minute answers of `open_at` over [first, last), with running totals, for checking
    many results at once: open_before[m] is the number of open minutes before minute m."""

    def __init__(self, open_at: OpenAt, first: datetime, last: datetime) -> None:
        _check_minute(first)
        self.first = first.astimezone(UTC)
        minutes = (last - first) // MINUTE
        self.open_before = array("i", [0]) * (minutes + 1)
        t, count = self.first, 0
        for m in range(minutes):
            if open_at(t):
                count += 1
            self.open_before[m + 1] = count
            t += MINUTE

    def _index(self, t: datetime) -> int:
        _check_minute(t)
        m = (t - self.first) // MINUTE
        if not 0 <= m < len(self.open_before) - 1:
            raise ValueError(f"{t} is outside the timeline")
        return m

    def add(self, start: datetime, duration: timedelta) -> datetime:
        m = self._index(start)
        whole, part = divmod(duration, MINUTE)
        goal = self.open_before[m] + whole
        if part:  # inside the first open minute after `whole` open minutes have passed
            m = bisect_right(self.open_before, goal, lo=m) - 1
            at = self.first + m * MINUTE + part
        elif whole:  # at the end of the minute in which the count reaches the goal
            at = self.first + bisect_left(self.open_before, goal, lo=m) * MINUTE
        else:  # no duration: the next opening
            at = self.first + (bisect_right(self.open_before, goal, lo=m) - 1) * MINUTE
        if at >= self.first + (len(self.open_before) - 1) * MINUTE:
            raise ValueError(f"{start} + {duration} runs past the end of the timeline")
        return at


def dst_transitions(zone: str, first_year: int, last_year: int) -> list[datetime]:
    """Every UTC-offset change of `zone` in those years, to the minute, found by scanning."""
    tz = ZoneInfo(zone)
    found = []
    t = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    hour = timedelta(hours=1)
    while t < end:
        if t.astimezone(tz).utcoffset() != (t + hour).astimezone(tz).utcoffset():
            m = t
            while m.astimezone(tz).utcoffset() == t.astimezone(tz).utcoffset():
                m += MINUTE
            found.append(m)
        t += hour
    return found
