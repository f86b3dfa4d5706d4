"""SLA targets per level and region, and the due time plus reminder times of one request.

docs/POLICY.md sections 1, 3 and 5: L1 1 h on `24x7`, L2 2 h on `24x5-global`, L3 8 and L4 16 working
hours on the customer's regional calendar; reminders when 50 %, 75 % and 90 % of the target has
elapsed on the level's calendar. Everything is measured from the request's creation time.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

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


@dataclass(frozen=True)
class LevelTarget:
    level: str
    target: timedelta
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
            if level.target <= timedelta(0):
                raise ValueError(f"level {key}: target must be positive, got {level.target}")
        for threshold in self.thresholds:
            if not 0 < threshold < 1:
                raise ValueError(f"reminder threshold must be between 0 and 1, got {threshold!r}")
        for key, region in self.regions.items():
            zone_named(region.zone)  # fail now, not on the first request from that region
        # Durations for one walk per request: the target itself, then target * threshold each.
        self._offsets = {key: [level.target, *(level.target * f for f in self.thresholds)]
                         for key, level in self.levels.items()}
        self._by_level_region: dict[tuple[str, str, str | None], BusinessCalendar] = {}
        self._regional: dict[tuple[str, str | None], BusinessCalendar] = {}

    def calendar_for(self, level: str, region_code: str, zone: str | None = None) -> BusinessCalendar:
        """The calendar the `level` clock runs on for a customer in `region_code`. `zone`
        overrides the region's time zone (a per-customer zone from the entitlement record)."""
        key = (level, region_code, zone)
        found = self._by_level_region.get(key)
        if found is not None:
            return found
        if level not in self.levels:
            raise KeyError(f"unknown level {level!r}; known: {', '.join(sorted(self.levels))}")
        if region_code not in self.regions:
            raise KeyError(f"unknown region {region_code!r}; known: {', '.join(sorted(self.regions))}")
        name = self.levels[level].calendar
        found = self._regional_calendar(region_code, zone) if name == REGIONAL else self.calendars[name]
        self._by_level_region[key] = found
        return found

    def _regional_calendar(self, region_code: str, zone: str | None) -> BusinessCalendar:
        key = (region_code, zone)
        if key not in self._regional:
            region = self.regions[region_code]
            self._regional[key] = regional(
                region.code if zone is None else f"{region.code}@{zone}", zone or region.zone,
                region.working_hours, region.holiday_country, region.holiday_subdivision,
                region.extra_closed)
        return self._regional[key]

    def due(self, level: str, region_code: str, created: datetime, zone: str | None = None) -> SlaTimes:
        """The due instant and the reminder instants of a request created at `created`."""
        calendar = self.calendar_for(level, region_code, zone)
        due, *reminders = calendar.add_many(created, self._offsets[level])
        return SlaTimes(due, dict(zip(self.thresholds, reminders)))
