"""The picture of one request's SLA clock, as geometry for an inline SVG. Pure.

From the request's creation to its due time (or to now, when later): the open and closed periods
of the level's calendar (the calendar the due was counted on, worker/policy/calendar.py), the
global weekend (the 24x5-global calendar's closed time), the region's public holidays by name
(and extra closed dates) in the customer's zone, a time axis in the customer's zone above and
one in UTC below, and marks for the reminders, the due time, the first response and now.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import holidays as holidays_lib

from worker.policy.calendar import zone_named
from worker.policy.sla import holidays_from_text, holidays_text
from worker.reminders.plan import PlanError, RecordedDecision, ReminderPlan

UTC = timezone.utc
WIDTH, LEFT, RIGHT = 1000, 170, 20
ROW_HEIGHT, ROW_GAP, TOP = 26, 10, 76  # above the rows: the local axis, then four lines of mark labels
STEPS = [timedelta(hours=h) for h in (1, 2, 3, 6, 12)] + [timedelta(days=d) for d in (1, 2, 7, 14, 28)]
MAX_TICKS = 10
LABEL_GAP = 36  # marks closer than this get their labels on another line


@dataclass(frozen=True)
class Band:
    x: float
    width: float
    kind: str  # "open", "closed", "weekend", "holiday"
    title: str  # the period in words (the SVG <title>, a tooltip)
    label: str = ""


@dataclass(frozen=True)
class Row:
    label: str
    y: float
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class Mark:
    x: float
    kind: str  # "created", "reminder", "due", "responded", "now"
    label: str
    title: str
    line: int = 0  # which line of labels (0 at the top), so close marks do not overprint

    @property
    def anchor(self) -> str:
        return "end" if self.x > WIDTH - RIGHT - 50 else "start"  # near the right edge, left of the line


def _stagger(marks: list[Mark]) -> list[Mark]:
    out, last_x = [], {}
    for mark in sorted(marks, key=lambda m: m.x):
        line = next((n for n in range(4) if mark.x - last_x.get(n, -1e9) >= LABEL_GAP), 0)
        last_x[line] = mark.x
        out.append(Mark(mark.x, mark.kind, mark.label, mark.title, line))
    return out


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass
class Picture:
    width: int
    height: int
    start: datetime
    end: datetime
    zone: str
    rows: list[Row]
    marks: list[Mark]
    local_ticks: list[Tick]
    utc_ticks: list[Tick]
    closed_periods: int  # closed periods of the level's calendar in the picture
    holidays: list[tuple[date, str]] = field(default_factory=list)
    note: str = ""

    @property
    def axis_top(self) -> float:
        return 20

    @property
    def axis_bottom(self) -> float:
        return self.height - 22


def _words(lo: datetime, hi: datetime, zone: str) -> str:
    local = zone_named(zone)
    return (f"{lo.astimezone(local):%a %d %b %H:%M} - {hi.astimezone(local):%a %d %b %H:%M} {zone} "
            f"({lo:%a %H:%M} - {hi:%a %H:%M} UTC)")




def picture(prop: dict[str, Any], config, now: datetime, responded_at: datetime | None = None,
            fired: frozenset[str] = frozenset()) -> Picture | None:
    """The picture for an entitled decision property under the running config; None when there is
    no clock to draw (not entitled, or the level or region is no longer in the config)."""
    try:
        plan = ReminderPlan.from_property(str(prop.get("issue_key") or "the request"), prop)
    except PlanError:
        return None  # not a decision the reminders could read either: no clock to draw
    created, due, level, region, zone = plan.created, plan.due, plan.level, plan.region, plan.time_zone
    if not plan.entitled or created is None or due is None or due < created:
        return None
    if level not in config.levels or region not in config.regions:
        return None
    own_zone = zone if zone != config.regions[region].zone else None
    policy = config.sla_policy()
    own_holidays = holidays_from_text(RecordedDecision.parse(prop).holidays)
    calendar = policy.calendar_for(level, region, zone=own_zone, holidays=own_holidays)
    start = created
    # Past the due time the picture runs on as long again as the clock ran (an hour at least), so
    # a request breached days ago still shows its clock, not a sliver at the left.
    end = min(max(due, now, responded_at or due), due + max(due - created, timedelta(hours=1)))
    notes = []
    if now > end:
        notes.append(f"Now ({now:%a %d %b %H:%M} UTC) is beyond the picture's right edge.")
    if policy.due(level, region, created, zone=own_zone, holidays=own_holidays).due != due:
        notes.append("This calendar under the running config gives another due time than the triage's: "
                     "the config changed since the triage.")
    note = " ".join(notes)
    if end <= start:
        end = start + timedelta(hours=1)
    span = (end - start).total_seconds()
    inner = WIDTH - LEFT - RIGHT

    def x(t: datetime) -> float:
        return round(LEFT + inner * min(max((t - start).total_seconds() / span, 0.0), 1.0), 1)

    def bands(opens: list[tuple[datetime, datetime]], open_kind: str | None, closed_kind: str,
              zone_for_words: str) -> list[Band]:
        out, cursor = [], start
        for lo, hi in opens:
            if lo > cursor:
                out.append(Band(x(cursor), round(x(lo) - x(cursor), 1), closed_kind, "closed " + _words(cursor, lo, zone_for_words)))
            if open_kind:
                out.append(Band(x(lo), round(x(hi) - x(lo), 1), open_kind, "open " + _words(lo, hi, zone_for_words)))
            cursor = hi
        if cursor < end:
            out.append(Band(x(cursor), round(x(end) - x(cursor), 1), closed_kind, "closed " + _words(cursor, end, zone_for_words)))
        return out

    level_bands = bands(list(calendar.intervals(start, end)), "open", "closed", zone)
    rows = [Row(f"{level} clock ({config.levels[level].calendar})", TOP, tuple(level_bands))]
    weekend = policy.calendars.get("24x5-global")
    if weekend is not None:
        rows.append(Row("global weekend", TOP + ROW_HEIGHT + ROW_GAP,
                        tuple(bands(list(weekend.intervals(start, end)), None, "weekend", zone))))
    named = _holidays(config.regions[region], zone, start, end, own_holidays)
    holiday_bands = []
    for day, name in named:
        lo = max(start, datetime.combine(day, time(0), zone_named(zone)).astimezone(UTC))
        hi = min(end, datetime.combine(day + timedelta(days=1), time(0), zone_named(zone)).astimezone(UTC))
        holiday_bands.append(Band(x(lo), round(x(hi) - x(lo), 1), "holiday", f"{name}, {day.isoformat()} in {zone}", name))
    rows.append(Row(f"{holidays_text(own_holidays) or region} holidays", TOP + 2 * (ROW_HEIGHT + ROW_GAP), tuple(holiday_bands)))

    marks = [Mark(x(created), "created", "created", f"created {_words(created, created, zone).split(' - ')[0]}")]
    for threshold in plan.thresholds:
        if threshold.is_breach:
            continue  # drawn as the due mark
        code, instant = threshold.code, threshold.instant
        state = "fired" if code in fired else ("passed" if instant <= now else "ahead")
        marks.append(Mark(x(instant), "reminder", f"{code}%", f"{code} % reminder ({state}) at {instant:%a %d %b %H:%M} UTC"))
    marks.append(Mark(x(due), "due", "due", f"due {due.astimezone(zone_named(zone)):%a %d %b %H:%M} {zone}, {due:%a %d %b %H:%M} UTC"))
    if responded_at is not None and start <= responded_at <= end:
        marks.append(Mark(x(responded_at), "responded", "responded", f"first response at {responded_at:%a %d %b %H:%M} UTC"))
    if start <= now <= end:
        marks.append(Mark(x(now), "now", "now", f"now, {now:%a %d %b %H:%M} UTC"))
    height = int(rows[-1].y + ROW_HEIGHT + 40)
    return Picture(WIDTH, height, start, end, zone, rows, _stagger(marks),
                   local_ticks=_ticks(start, end, zone, x), utc_ticks=_ticks(start, end, "UTC", x),
                   closed_periods=sum(1 for band in level_bands if band.kind == "closed"),
                   holidays=named, note=note)


def _holidays(region, zone: str, start: datetime, end: datetime, own=None) -> list[tuple[date, str]]:
    """The holidays the clock stops for, as the calendar has them: the customer's own calendar
    (`own`) or the region's less its re-opened ones, plus the extra closed dates."""
    local = zone_named(zone)
    first, last = start.astimezone(local).date(), end.astimezone(local).date()
    found: dict[date, str] = {}
    country, subdivision = own or (region.holidays.country, region.holidays.subdivision)
    reopen = () if own else region.holidays.reopen
    reopened_names = {item.strip().casefold() for item in reopen if isinstance(item, str)}
    if country:
        table = holidays_lib.country_holidays(country, subdiv=subdivision, years=range(first.year, last.year + 1))
        found.update({day: name for day, name in table.items() if first <= day <= last and day not in reopen
                      and not {part.strip().casefold() for part in name.split(";")} <= reopened_names})
    for day in region.extra_closed:
        if first <= day <= last:
            found.setdefault(day, "closed (extra_closed in the config)")
    return sorted(found.items())


def _ticks(start: datetime, end: datetime, zone: str, x) -> list[Tick]:
    span = end - start
    step = next((s for s in STEPS if span / s <= MAX_TICKS), STEPS[-1])
    local = zone_named(zone)
    first = start.astimezone(local).replace(tzinfo=None)
    if step < timedelta(days=1):
        hours = int(step.total_seconds() // 3600)
        wall = first.replace(minute=0, second=0, microsecond=0, hour=first.hour - first.hour % hours)
    else:
        wall = first.replace(hour=0, minute=0, second=0, microsecond=0)
    ticks = []
    fmt = "%a %H:%M" if step < timedelta(days=1) else "%a %d %b"
    while len(ticks) < 4 * MAX_TICKS:
        instant = wall.replace(tzinfo=local).astimezone(UTC)
        if instant > end:
            break
        if instant >= start and x(instant) <= WIDTH - RIGHT - 40:  # a label must fit in the picture
            ticks.append(Tick(x(instant), wall.strftime(fmt)))
        wall += step
    return ticks
