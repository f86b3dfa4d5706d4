"""Business calendars: the SLA clock every due time and reminder time comes from. Pure, no I/O.

A calendar is a set of open intervals on the real timeline. Three kinds exist (docs/POLICY.md 1-3):
`24x7` (always open), a *regional* calendar (weekly working ranges in one zone, minus public
holidays and extra closed dates) and the *global business week* (`24x5-global`, closed from
Friday 17:00 America/Los_Angeles to Monday 10:00 Australia/Sydney). The last two are the same
thing, a `WeeklyCalendar`: a list of weekly spans, each from an opening `Edge` to a closing
`Edge`, where every edge is a wall-clock time on a weekday *in its own zone*. A calendar whose
edges live in different zones is therefore an ordinary case, not a special one.

Edge rules (the contract the tests and the brute-force oracle check):

* Open intervals are half-open, ``[opening, closing)``: a calendar is open at an opening edge and
  closed at a closing edge. So a start exactly on an opening edge starts the clock at once, and a
  start exactly on a closing edge waits for the next opening.
* An edge happens at the first instant at which its zone's wall clock, on that local date, reads
  the edge's time or later. Hence: in a DST gap (02:30 on a spring-forward day does not exist)
  the edge happens at the transition itself (03:00 new time); in a DST overlap (01:30 on a
  fall-back day happens twice) it happens the first time, once. Otherwise exactly on the wall time.
* A span closes at the first occurrence of its closing edge after it opened (so Monday 10:00
  Sydney closes on the following Friday 17:00 Los Angeles). Spans that overlap or touch merge.
* A holiday or extra closed date closes the whole local day in the calendar's zone: from the
  first instant of that date to the first instant of the next (23, 24 or 25 real hours).
* Durations are real elapsed time spent in open intervals. A DST change inside an open interval
  changes the wall clock, not the count: one 24x7 hour across a spring-forward is 60 minutes.
* ``add(start, d)`` is the earliest instant at which ``d`` of open time has elapsed since
  ``start``; a start in closed time begins at the next opening, and ``add(start, 0)`` is
  ``next_opening(start)``. A due that uses up an interval exactly lands on its closing edge
  (Friday 17:00, not Monday 09:00). ``elapsed`` is signed: ``elapsed(a, b) == -elapsed(b, a)``,
  and ``elapsed(start, add(start, d)) == d``.

Every argument must be a timezone-aware datetime (naive ones raise ValueError); every result is
an aware datetime in UTC. Internally instants are integer microseconds since the Unix epoch and
each calendar caches its open intervals per UTC week, so an add is a dict lookup and a bisect.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_WEEK_US = 7 * _DAY_US
_WEEK0_US = 4 * _DAY_US  # 1970-01-05 00:00 UTC, a Monday: the cache holds UTC weeks from Monday
# How far to look for an opening or closing before concluding there is none.
_HORIZON_WEEKS = 5 * 53
_CACHE_WEEKS = 8192  # about 150 years of weeks per calendar before the cache starts over
_MIDNIGHT = time(0)
_LONGEST_US = 100 * 366 * _DAY_US  # a bound on durations, so a typo cannot walk for hours

# One cached week: interval starts, interval ends (sorted, disjoint, clipped to the week) and the
# running total of open time before each interval (len + 1 entries; the last is the week's total).
_Week = tuple[list[int], list[int], list[int]]


def _to_us(t: datetime, what: str) -> int:
    if not isinstance(t, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(t).__name__}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {t.isoformat()}")
    return (t - _EPOCH) // _ONE_US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(0, 0, us)  # positional: measurably faster on the hot path


def _duration_us(d: timedelta, what: str) -> int:
    try:
        us = d // _ONE_US
    except TypeError:
        raise TypeError(f"{what} must be a timedelta, not {type(d).__name__}") from None
    if us < 0:
        raise ValueError(f"{what} must not be negative, got {d}")
    if us > _LONGEST_US:
        raise ValueError(f"{what} of {d} is longer than any SLA (limit: 100 years)")
    return us


@lru_cache(maxsize=None)
def zone_named(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError naming it when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def wall_to_us(zone: ZoneInfo, day: date, at: time) -> int:
    """The first instant at which `zone`'s wall clock on `day` reads `at` or later (see edge rules)."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone)  # fold=0: in an overlap, the earlier of the two readings
    us = (first - _EPOCH) // _ONE_US
    if _from_us(us).astimezone(zone).replace(tzinfo=None) == wall:
        return us
    # `wall` falls in a gap. fold=1 reads it with the offset after the transition, which lands
    # before the transition; fold=0 lands after it. Bisect for the transition between the two.
    before = (wall.replace(tzinfo=zone, fold=1) - _EPOCH) // _ONE_US
    after = us
    while after - before > 1:
        mid = (before + after) // 2
        if _from_us(mid).astimezone(zone).replace(tzinfo=None) >= wall:
            after = mid
        else:
            before = mid
    return after


@dataclass(frozen=True)
class Edge:
    """A weekly wall-clock moment in one zone, e.g. Friday 17:00 in America/Los_Angeles."""

    zone: str
    weekday: int  # 0 = Monday
    at: time

    def __post_init__(self) -> None:
        zone_named(self.zone)
        if not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday!r}")
        if not isinstance(self.at, time) or self.at.tzinfo is not None:
            raise ValueError(f"edge time must be a wall-clock time without tzinfo, got {self.at!r}")

    @classmethod
    def of(cls, value: Edge | tuple[str, int, time]) -> Edge:
        return value if isinstance(value, Edge) else cls(*value)

    def on(self, day: date) -> int:
        """This edge's instant on local date `day` (whose weekday is not checked)."""
        return wall_to_us(zone_named(self.zone), day, self.at)

    def first_after(self, us: int) -> int:
        """The first occurrence of this edge strictly after instant `us`."""
        local_day = _from_us(us).astimezone(zone_named(self.zone)).date()
        day = local_day + timedelta(days=(self.weekday - local_day.weekday()) % 7)
        instant = self.on(day)
        return instant if instant > us else self.on(day + timedelta(days=7))

    def __str__(self) -> str:
        names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        return f"{names[self.weekday]} {self.at.isoformat('minutes')} {self.zone}"


@dataclass(frozen=True)
class WeeklySpan:
    """Open from each occurrence of `opens` to the first occurrence of `closes` after it."""

    opens: Edge
    closes: Edge


class ClosedDays(ABC):
    """Whole local days on which a calendar is closed, in one zone."""

    zone: str

    @abstractmethod
    def dates_between(self, first: date, last: date) -> Iterable[date]:
        """The closed dates d with first <= d <= last."""


@lru_cache(maxsize=None)
def _public_holidays(country: str, subdivision: str | None, year: int) -> dict[date, frozenset[str]]:
    """Each holiday date of the year with its names, case-folded (one date may carry two holidays)."""
    found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return {day: frozenset(part.strip().casefold() for part in name.split(";")) for day, name in found.items()}


class PublicHolidays(ClosedDays):
    """Public holidays from the `holidays` package, plus extra closed dates from config, less the
    holidays re-opened by date or by name (a date whose every holiday is re-opened is a working day)."""

    def __init__(self, zone: str, country: str | None, subdivision: str | None = None,
                 extra_closed: Iterable[date] = (), reopened: Iterable[date | str] = ()) -> None:
        zone_named(zone)
        self.zone = zone
        self.country = country
        self.subdivision = subdivision
        self.extra_closed = frozenset(extra_closed)
        self.reopened_dates = frozenset(d for d in reopened if isinstance(d, date))
        self.reopened_names = frozenset(n.strip().casefold() for n in reopened if isinstance(n, str))
        for day in self.extra_closed:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"extra closed dates must be dates, got {day!r}")
        if country is None and subdivision is not None:
            raise ValueError(f"holiday subdivision {subdivision!r} given without a country")
        if country is not None:
            try:
                _public_holidays(country, subdivision, 2025)
            except (NotImplementedError, KeyError, ValueError) as exc:
                where = country if subdivision is None else f"{country}/{subdivision}"
                raise ValueError(f"no public holiday calendar for {where!r}: {exc}") from exc

    def dates_between(self, first: date, last: date) -> Iterator[date]:
        for day in self.extra_closed:
            if first <= day <= last:
                yield day
        if self.country is not None:
            for year in range(first.year, last.year + 1):
                for day, names in _public_holidays(self.country, self.subdivision, year).items():
                    if first <= day <= last and day not in self.reopened_dates and not names <= self.reopened_names:
                        yield day


class BusinessCalendar(ABC):
    """The SLA clock's interface; see the module docstring for the edge rules."""

    name: str

    def is_open(self, t: datetime) -> bool:
        return self._is_open(_to_us(t, "t"))

    def next_opening(self, t: datetime) -> datetime:
        """`t` itself when open at `t`, else the next opening edge after it."""
        return _from_us(self._next_opening(_to_us(t, "t")))

    def next_closing(self, t: datetime) -> datetime | None:
        """The closing edge that ends the open interval at or after `t` (so, when closed at `t`,
        the end of the next interval); None when the calendar does not close (24x7, or a weekly
        calendar that stays open for the next five years)."""
        found = self._next_closing(_to_us(t, "t"))
        return None if found is None else _from_us(found)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The due instant: `duration` of open time after `start` (or after the next opening)."""
        return _from_us(self._add_many(_to_us(start, "start"), [_duration_us(duration, "duration")])[0])

    def add_many(self, start: datetime, durations: Sequence[timedelta]) -> list[datetime]:
        """`add` for several durations from one start in one walk (a due and its reminders)."""
        s = _to_us(start, "start")
        ds = [_duration_us(d, "duration") for d in durations]
        ordered = sorted(ds)
        found = dict(zip(ordered, self._add_many(s, ordered)))
        return [_from_us(found[d]) for d in ds]

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The open time in [start, end); negative when end is before start."""
        a, b = _to_us(start, "start"), _to_us(end, "end")
        if a <= b:
            return timedelta(microseconds=self._elapsed(a, b))
        return -timedelta(microseconds=self._elapsed(b, a))

    def instant_at_fraction(self, start: datetime, target: timedelta, fraction: float) -> datetime:
        """The instant at which `fraction` of `target` has elapsed: add(start, target * fraction)."""
        if not isinstance(fraction, (int, float)) or not math.isfinite(fraction) or fraction < 0:
            raise ValueError(f"fraction must be a finite number >= 0, got {fraction!r}")
        _duration_us(target, "target")
        return self.add(start, target * fraction)

    def intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open intervals intersecting [start, end), clipped to it, in order."""
        for lo, hi in self._intervals(_to_us(start, "start"), _to_us(end, "end")):
            yield _from_us(lo), _from_us(hi)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    @abstractmethod
    def _is_open(self, t: int) -> bool: ...

    @abstractmethod
    def _next_opening(self, t: int) -> int: ...

    @abstractmethod
    def _next_closing(self, t: int) -> int | None: ...

    @abstractmethod
    def _add_many(self, s: int, ds: list[int]) -> list[int]:
        """Due instants for durations `ds`, sorted ascending."""

    @abstractmethod
    def _elapsed(self, a: int, b: int) -> int:
        """Open time in [a, b), a <= b."""

    @abstractmethod
    def _intervals(self, a: int, b: int) -> Iterator[tuple[int, int]]: ...


class AlwaysOpen(BusinessCalendar):
    """`24x7`: open at every instant, so working time is plain elapsed time."""

    def __init__(self, name: str = "24x7") -> None:
        self.name = name

    def _is_open(self, t: int) -> bool:
        return True

    def _next_opening(self, t: int) -> int:
        return t

    def _next_closing(self, t: int) -> int | None:
        return None

    def _add_many(self, s: int, ds: list[int]) -> list[int]:
        return [s + d for d in ds]

    def _elapsed(self, a: int, b: int) -> int:
        return b - a

    def _intervals(self, a: int, b: int) -> Iterator[tuple[int, int]]:
        if a < b:
            yield a, b


def _merge(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of intervals: sorted, disjoint, touching ones joined."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(pieces):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _subtract(opens: list[tuple[int, int]], closed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in opens:
        for c_lo, c_hi in closed:
            if c_hi <= lo or c_lo >= hi:
                continue
            if c_lo > lo:
                out.append((lo, c_lo))
            lo = max(lo, c_hi)
            if lo >= hi:
                break
        if lo < hi:
            out.append((lo, hi))
    return out


class WeeklyCalendar(BusinessCalendar):
    """Open during weekly spans whose edges each live in their own zone, minus closed days."""

    def __init__(self, name: str, spans: Sequence[WeeklySpan], closed_days: Sequence[ClosedDays] = ()) -> None:
        if not spans:
            raise ValueError(f"calendar {name!r} has no open spans")
        self.name = name
        self.spans = tuple(spans)
        self.closed_days = tuple(closed_days)
        self._weeks: dict[int, _Week] = {}

    # -- the interval source -------------------------------------------------------------------

    def _week(self, k: int) -> _Week:
        week = self._weeks.get(k)
        if week is None:
            if len(self._weeks) >= _CACHE_WEEKS:
                self._weeks.clear()
            week = self._weeks[k] = self._build_week(k)
        return week

    def _build_week(self, k: int) -> _Week:
        lo = _WEEK0_US + k * _WEEK_US
        hi = lo + _WEEK_US
        # Local dates whose edges can reach into this UTC week: zones are within a day of UTC and
        # a span lasts at most a week plus the zones' offset difference, so ten days back suffice.
        first = _from_us(lo).date() - timedelta(days=10)
        last = _from_us(hi).date() + timedelta(days=1)
        pieces = []
        for span in self.spans:
            day = first + timedelta(days=(span.opens.weekday - first.weekday()) % 7)
            while day <= last:
                opened = span.opens.on(day)
                if opened < hi:
                    closed = span.closes.first_after(opened)
                    if closed > lo:
                        pieces.append((max(opened, lo), min(closed, hi)))
                day += timedelta(days=7)
        closures = []
        for source in self.closed_days:
            zone = zone_named(source.zone)
            for day in source.dates_between(first, last):
                closures.append((wall_to_us(zone, day, _MIDNIGHT),
                                 wall_to_us(zone, day + timedelta(days=1), _MIDNIGHT)))
        intervals = _subtract(_merge(pieces), _merge(closures))
        starts = [a for a, _ in intervals]
        ends = [b for _, b in intervals]
        totals = [0]
        for a, b in intervals:
            totals.append(totals[-1] + b - a)
        return starts, ends, totals

    def _first_open_week(self, k: int, since: int) -> tuple[int, _Week]:
        """The first week from `k` on that has open time."""
        for step in range(_HORIZON_WEEKS):
            week = self._week(k + step)
            if week[0]:
                return k + step, week
        raise ValueError(f"calendar {self.name!r} has no open time in the {_HORIZON_WEEKS} weeks "
                         f"after {_from_us(since).isoformat()}")

    # -- the operations --------------------------------------------------------------------------

    def _is_open(self, t: int) -> bool:
        starts, ends, _ = self._week((t - _WEEK0_US) // _WEEK_US)
        i = bisect_right(ends, t)
        return i < len(ends) and starts[i] <= t

    def _locate(self, t: int) -> tuple[int, _Week, int]:
        """The week and index of the first interval ending after `t`."""
        k = (t - _WEEK0_US) // _WEEK_US
        week = self._week(k)
        i = bisect_right(week[1], t)
        if i == len(week[1]):
            k, week = self._first_open_week(k + 1, t)
            i = 0
        return k, week, i

    def _next_opening(self, t: int) -> int:
        _, (starts, _, _), i = self._locate(t)
        return max(t, starts[i])

    def _next_closing(self, t: int) -> int | None:
        k, (_, ends, _), i = self._locate(t)
        end = ends[i]
        # Intervals are clipped to weeks: one that runs into the next week continues there.
        for _ in range(_HORIZON_WEEKS):
            if i != len(ends) - 1 or end != _WEEK0_US + (k + 1) * _WEEK_US:
                return end
            k += 1
            starts, ends, _ = self._week(k)
            if not starts or starts[0] != end:
                return end
            i, end = 0, ends[0]
        return None

    def _add_many(self, s: int, ds: list[int]) -> list[int]:
        k, (starts, ends, totals), i = self._locate(s)
        begin = max(s, starts[i])
        base = totals[i] + begin - starts[i]  # the start's position on this week's open-time axis
        out = []
        for d in ds:
            if d == 0:
                out.append(begin)
                continue
            target = base + d
            empty = 0
            while target > totals[-1]:
                target -= totals[-1]
                base -= totals[-1]
                empty = empty + 1 if totals[-1] == 0 else 0
                if empty > _HORIZON_WEEKS:
                    raise ValueError(f"calendar {self.name!r} has no open time in the {_HORIZON_WEEKS}"
                                     f" weeks after {_from_us(s).isoformat()}")
                k += 1
                starts, ends, totals = self._week(k)
            j = bisect_left(totals, target) - 1
            out.append(starts[j] + target - totals[j])
        return out

    def _position(self, week: _Week, t: int) -> int:
        starts, ends, totals = week
        i = bisect_right(ends, t)
        if i == len(ends):
            return totals[-1]
        return totals[i] + max(0, t - starts[i])

    def _elapsed(self, a: int, b: int) -> int:
        ka = (a - _WEEK0_US) // _WEEK_US
        kb = (b - _WEEK0_US) // _WEEK_US
        first = self._week(ka)
        if ka == kb:
            return self._position(first, b) - self._position(first, a)
        total = first[2][-1] - self._position(first, a)
        for k in range(ka + 1, kb):
            total += self._week(k)[2][-1]
        return total + self._position(self._week(kb), b)

    def _intervals(self, a: int, b: int) -> Iterator[tuple[int, int]]:
        pending: tuple[int, int] | None = None
        k = (a - _WEEK0_US) // _WEEK_US
        while a < b and _WEEK0_US + k * _WEEK_US < b:
            starts, ends, _ = self._week(k)
            for lo, hi in zip(starts, ends):
                lo, hi = max(lo, a), min(hi, b)
                if lo >= hi:
                    continue
                if pending and pending[1] == lo:
                    pending = (pending[0], hi)
                    continue
                if pending:
                    yield pending
                pending = (lo, hi)
            k += 1
        if pending:
            yield pending


def always_open(name: str = "24x7") -> AlwaysOpen:
    return AlwaysOpen(name)


def regional(name: str, zone: str, working_hours: Mapping[int, Sequence[tuple[time, time]]],
             holiday_country: str | None = None, holiday_subdivision: str | None = None,
             extra_closed: Iterable[date] = (), reopened: Iterable[date | str] = ()) -> WeeklyCalendar:
    """Working ranges per weekday (0 = Monday) in local time, minus public holidays and extra
    closed dates. A range ending at 00:00 runs to midnight; several ranges per day are allowed."""
    zone_named(zone)
    spans = []
    for weekday, ranges in working_hours.items():
        for start, end in ranges:
            if not isinstance(start, time) or not isinstance(end, time):
                raise ValueError(f"{name}: working range {start!r}-{end!r} must be two times")
            if end != _MIDNIGHT and end <= start:
                raise ValueError(f"{name}: working range {start.isoformat('minutes')}-"
                                 f"{end.isoformat('minutes')} on weekday {weekday} ends before it starts"
                                 " (write 00:00 for midnight)")
            closes = Edge(zone, (weekday + 1) % 7, end) if end == _MIDNIGHT else Edge(zone, weekday, end)
            spans.append(WeeklySpan(Edge(zone, weekday, start), closes))
    if not spans:
        raise ValueError(f"{name}: no working hours")
    return WeeklyCalendar(name, spans, [PublicHolidays(zone, holiday_country, holiday_subdivision, extra_closed,
                                                       reopened)])


def global_business_week(name: str = "24x5-global",
                         closes: Edge | tuple[str, int, time] = ("America/Los_Angeles", FRIDAY, time(17)),
                         opens: Edge | tuple[str, int, time] = ("Australia/Sydney", MONDAY, time(10)),
                         ) -> WeeklyCalendar:
    """Open all week except from `closes` to the next `opens` (docs/POLICY.md section 2)."""
    return WeeklyCalendar(name, [WeeklySpan(Edge.of(opens), Edge.of(closes))])
