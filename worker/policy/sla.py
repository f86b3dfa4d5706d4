"""SLA targets per level and region, and the due time plus reminder times of one request.

docs/POLICY.md sections 1, 3 and 5: L1 1 h on `24x7`, L2 2 h on `24x5-global`, L3 8 and L4 16 working
hours on the customer's regional calendar; reminders when 50 %, 75 % and 90 % of the target has
elapsed on the level's calendar. Everything is measured from the request's creation time.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from worker.config.values import BusinessDays
from worker.policy.calendar import (
    BusinessCalendar,
    always_open,
    global_business_week,
    regional,
    zone_named,
)

REGIONAL = "regional"


@dataclass(frozen=True)
class Region:
    code: str
    zone: str
    holiday_country: str | None
    holiday_subdivision: str | None
    working_hours: Mapping[int, Sequence[tuple[time, time]]] = field(hash=False)
    extra_closed: frozenset[date] = frozenset()
    reopened: frozenset[date | str] = frozenset()  # public holidays worked after all (dates or names)
    business_day: timedelta | None = None  # None: the length of the region's usual working day

    @property
    def day_length(self) -> timedelta:
        """One business day here: the configured length, else the working time of the day length
        most weekdays have (the longest of those, on a tie): 8 h for 09:00-17:00, 10 h for 08:00-18:00."""
        if self.business_day is not None:
            return self.business_day
        lengths = [sum((_span(a, b) for a, b in spans), timedelta()) for spans in self.working_hours.values()]
        lengths = [length for length in lengths if length > timedelta(0)]
        if not lengths:
            raise ValueError(f"region {self.code} has no working day to measure a business day by")
        return max(lengths, key=lambda length: (lengths.count(length), length))


def _span(start: time, end: time) -> timedelta:
    minutes = (24 * 60 if end == time(0) else end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return timedelta(minutes=minutes)


Holidays = tuple[str, "str | None"]  # (country, subdivision): a customer's own holiday calendar


def holidays_text(holidays: Holidays | None) -> str | None:
    """('US', 'NY') -> 'US-NY', as the decision property and `psw sla due --holidays` write it."""
    return "-".join(part for part in holidays if part) if holidays else None


def holidays_from_text(text: object) -> Holidays | None:
    """'US-NY' -> ('US', 'NY'), 'NL' -> ('NL', None); anything else (absent, not text) -> None."""
    if not isinstance(text, str) or not text.strip():
        return None
    country, _, subdivision = text.strip().partition("-")
    return country, subdivision or None


@dataclass(frozen=True)
class LevelTarget:
    level: str
    target: timedelta | BusinessDays  # business days only on the regional calendar
    calendar: str  # "24x7" | "24x5-global" | "regional" (or another named calendar of the policy)


@dataclass(frozen=True)
class SlaTimes:
    due: datetime
    reminders: dict[float, datetime] = field(hash=False)  # threshold (0.5, ...) -> instant, UTC


class SlaPolicy:
    """Levels, regions and reminder thresholds; hands out (cached) calendars and due times."""

    def __init__(self, levels: Mapping[str, LevelTarget], regions: Mapping[str, Region],
                 thresholds: tuple[float, ...] = (0.5, 0.75, 0.9),
                 calendars: Mapping[str, BusinessCalendar] | None = None) -> None:
        self.levels = dict(levels)
        self.regions = dict(regions)
        self.thresholds = tuple(thresholds)
        self.calendars = dict(calendars) if calendars is not None else {
            "24x7": always_open("24x7"), "24x5-global": global_business_week("24x5-global")}
        for key, level in self.levels.items():
            if level.calendar != REGIONAL and level.calendar not in self.calendars:
                raise ValueError(f"level {key}: unknown calendar {level.calendar!r}; known: "
                                 f"{', '.join([REGIONAL, *sorted(self.calendars)])}")
            if isinstance(level.target, BusinessDays):
                if level.calendar != REGIONAL:
                    raise ValueError(f"level {key}: a target in business days needs the regional calendar, "
                                     f"not {level.calendar!r}")
            elif level.target <= timedelta(0):
                raise ValueError(f"level {key}: target must be positive, got {level.target}")
        for threshold in self.thresholds:
            if not 0 < threshold < 1:
                raise ValueError(f"reminder threshold must be between 0 and 1, got {threshold!r}")
        for key, region in self.regions.items():
            zone_named(region.zone)  # fail now, not on the first request from that region
            if any(isinstance(level.target, BusinessDays) for level in self.levels.values()):
                region.day_length  # noqa: B018 (raises for a region without a working day)
        self._offsets: dict[tuple[str, str], list[timedelta]] = {}
        self._by_level_region: dict[tuple, BusinessCalendar] = {}
        self._regional: dict[tuple, BusinessCalendar] = {}

    def target_for(self, level: str, region_code: str) -> timedelta:
        """The level's target as working time on the calendar its clock runs on in that region."""
        target = self.levels[level].target
        if isinstance(target, BusinessDays):
            return target.days * self.regions[region_code].day_length
        return target

    def _offsets_for(self, level: str, region_code: str) -> list[timedelta]:
        # Durations for one walk per request: the target itself, then target * threshold each.
        key = (level, region_code)
        if key not in self._offsets:
            target = self.target_for(level, region_code)
            self._offsets[key] = [target, *(target * f for f in self.thresholds)]
        return self._offsets[key]

    def calendar_for(self, level: str, region_code: str, zone: str | None = None,
                     holidays: tuple[str, str | None] | None = None) -> BusinessCalendar:
        """The calendar the `level` clock runs on for a customer in `region_code`. `zone`
        overrides the region's time zone and `holidays` (country, subdivision) its public holidays
        (a per-customer zone and holiday calendar from the entitlement record)."""
        key = (level, region_code, zone, holidays)
        found = self._by_level_region.get(key)
        if found is not None:
            return found
        if level not in self.levels:
            raise KeyError(f"unknown level {level!r}; known: {', '.join(sorted(self.levels))}")
        if region_code not in self.regions:
            raise KeyError(f"unknown region {region_code!r}; known: {', '.join(sorted(self.regions))}")
        name = self.levels[level].calendar
        found = self._regional_calendar(region_code, zone, holidays) if name == REGIONAL else self.calendars[name]
        self._by_level_region[key] = found
        return found

    def _regional_calendar(self, region_code: str, zone: str | None,
                           holidays: tuple[str, str | None] | None) -> BusinessCalendar:
        key = (region_code, zone, holidays)
        if key not in self._regional:
            region = self.regions[region_code]
            name = region.code + (f"@{zone}" if zone else "") + (f"/{'-'.join(filter(None, holidays))}" if holidays else "")
            # The region's re-opened holidays belong to its own holiday calendar, not a customer's.
            country, subdivision = holidays if holidays else (region.holiday_country, region.holiday_subdivision)
            self._regional[key] = regional(
                name, zone or region.zone, region.working_hours, country, subdivision,
                region.extra_closed, () if holidays else region.reopened)
        return self._regional[key]

    def due(self, level: str, region_code: str, created: datetime, zone: str | None = None,
            holidays: tuple[str, str | None] | None = None) -> SlaTimes:
        """The due instant and the reminder instants of a request created at `created`."""
        calendar = self.calendar_for(level, region_code, zone, holidays)
        due, *reminders = calendar.add_many(created, self._offsets_for(level, region_code))
        return SlaTimes(due, dict(zip(self.thresholds, reminders)))
