"""Who holds a Priority Support request when, and the handoffs between holders. Pure, no I/O.

docs/POLICY.md section 6. A *holding* is one stretch of time a team (and, from its roster, one
engineer) holds a request:

* follow-the-sun levels (`routing.follow_the_sun`, L1 and L2): the region on shift. Of several on
  shift at once (shifts overlap) the one whose shift ends last, so the request moves as seldom as
  possible; with none on shift (the global weekend for L2, a gap between shifts) the region that
  comes on shift next. A `routing.weekend` level (L1) goes to the Select team while the global
  business week is closed (Friday 17:00 Los Angeles to Monday 10:00 Sydney), and back to the
  region on shift at the opening. A region's shift on one of its own public holidays is held by
  the Select team;
* the other levels (L3, L4): the customer's own region's team, or the Select team on a local
  date that has no open time on the customer's calendar for that level (a weekend day or a
  public holiday, with the customer's own zone and holidays).

A holding ends at its shift's end; the *handoff* to the next holder is due `handoff_before` that
(so the outgoing team is still online when it posts: a warm handoff). Only follow-the-sun levels
change hands: an L3 routed to the Select team on a holiday stays there (POLICY.md, gap).

Shift edges follow worker/policy/calendar.py's rules (half-open, DST gaps and overlaps): a shift
is a regional calendar of the region's zone with no holidays, and a holiday is judged on the
local date at which the holding begins.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from worker.policy.calendar import BusinessCalendar, PublicHolidays, global_business_week, regional, zone_named

UTC = timezone.utc
SELECT = "select"
# How far ahead a chain of holdings is followed before concluding a rota never changes hands.
HORIZON = timedelta(days=45)
_NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Engineer:
    display_name: str
    account_id: str | None
    username: str | None

    def to_dict(self) -> dict:
        return {"display_name": self.display_name, "account_id": self.account_id, "username": self.username}


@dataclass(frozen=True)
class Holding:
    """`team` (the team field's value) holds the request from `start` until `end` (None: no end
    in sight). `office`: the region whose Priority Support office is on shift, None for the
    Select team; `covering`: the region whose shift or holiday the Select team covers."""

    team: str
    office: str | None
    start: datetime
    end: datetime | None
    engineer: Engineer | None = None
    covering: str | None = None

    @property
    def holder(self) -> tuple:
        """What changes hands: a new holding with the same team and engineer is no handoff."""
        return self.team, self.engineer

    def route(self) -> dict:
        """As the decision property records it (`route`)."""
        return {"team": self.team, "office": self.office, "covering": self.covering,
                "assignee": self.engineer.to_dict() if self.engineer else None}


@dataclass(frozen=True)
class Handoff:
    boundary: datetime  # the outgoing holding's end
    due: datetime  # when the handoff is made: handoff_before the boundary (never before the holding began)
    outgoing: Holding
    incoming: Holding

    @property
    def code(self) -> str:
        """Names the handoff in its comment's marker and its done mark: the boundary, in UTC."""
        return f"{self.boundary.astimezone(UTC):%Y%m%dT%H%MZ}"


class Rota:
    """The routing section of one mapping config, as shifts on the timeline."""

    def __init__(self, config) -> None:
        self.config = config
        self.routing = config.routing
        self.global_week = global_business_week()
        self.shifts: dict[str, BusinessCalendar] = {}
        self.holidays: dict[str, PublicHolidays] = {}
        for code, team in self.routing.regions.items():
            region = config.regions[code]
            self.shifts[code] = regional(f"{code} shift", region.zone, team.shifts)
            self.holidays[code] = PublicHolidays(region.zone, region.holidays.country, region.holidays.subdivision,
                                                 region.extra_closed, region.holidays.reopen)

    # -- who holds it -------------------------------------------------------------------------

    def follows_the_sun(self, level: str) -> bool:
        return level in self.routing.follow_the_sun

    def holding_at(self, issue_key: str, level: str, region: str, t: datetime, *,
                   zone: str | None = None, holidays: tuple[str, str | None] | None = None) -> Holding:
        """Who holds a request of `level` from a `region` customer at instant `t`. `zone` and
        `holidays`: the customer's own, as the SLA calendar takes them (L3/L4 only)."""
        if t.tzinfo is None:
            raise ValueError("t must be timezone-aware")
        if region not in self.routing.regions:
            raise ValueError(f"region {region!r} has no routing team (routing.regions)")
        if self.follows_the_sun(level):
            return self._on_shift(issue_key, level, t)
        return self._own_region(issue_key, level, region, t, zone, holidays)

    def _on_shift(self, issue_key: str, level: str, t: datetime) -> Holding:
        if level in self.routing.weekend and not self.global_week.is_open(t):
            return self._select(issue_key, t, self.global_week.next_opening(t), covering=None)
        on = [(self.shifts[code].next_closing(t), code) for code in self.routing.regions
              if self.shifts[code].is_open(t)]
        if on:
            # The shift that ends last (one that never closes, last of all); max keeps the first of
            # a tie, in config order.
            end, office = max(on, key=lambda found: found[0] or _NEVER)
            begins = t
        else:
            begins, office = min((self.shifts[code].next_opening(t), code) for code in self.routing.regions)
            end = self.shifts[office].next_closing(begins)
        if self._holiday(office, begins):
            return self._select(issue_key, t, end, covering=office)
        team = self.routing.regions[office]
        zone = self.config.regions[office].zone
        return Holding(team.team, office, t, end, _engineer(team.roster, issue_key, begins, zone))

    def _own_region(self, issue_key: str, level: str, region: str, t: datetime, zone: str | None,
                    holidays: tuple[str, str | None] | None) -> Holding:
        own_zone = zone or self.config.regions[region].zone
        calendar = self.config.sla_policy().calendar_for(level, region, zone, holidays)
        day = t.astimezone(zone_named(own_zone)).date()
        start, end = _day_bounds(day, own_zone)
        if calendar.elapsed(start, end) == timedelta(0):  # a weekend day or a holiday there
            return self._select(issue_key, t, None, covering=region)
        team = self.routing.regions[region]
        return Holding(team.team, region, t, None,
                       _engineer(team.roster, issue_key, t, self.config.regions[region].zone))

    def _select(self, issue_key: str, t: datetime, end: datetime | None, covering: str | None) -> Holding:
        select = self.routing.select
        return Holding(select.team, None, t, end, _engineer(select.roster, issue_key, t, select.zone), covering)

    def _holiday(self, region: str, t: datetime) -> bool:
        day = t.astimezone(zone_named(self.config.regions[region].zone)).date()
        return any(True for _ in self.holidays[region].dates_between(day, day))

    # -- the handoffs ---------------------------------------------------------------------------

    def handoffs(self, issue_key: str, level: str, region: str, created: datetime) -> Iterator[Handoff]:
        """Every handoff of a follow-the-sun request created at `created`, in order (endless for
        an open request; the caller stops). None for the other levels."""
        if not self.follows_the_sun(level):
            return
        holding = self.holding_at(issue_key, level, region, created)
        limit = created + HORIZON
        while holding.end is not None and holding.end < limit:
            following = self.holding_at(issue_key, level, region, holding.end)
            while following.holder == holding.holder and following.end is not None and following.end < limit:
                following = self.holding_at(issue_key, level, region, following.end)  # same hands: no handoff
            if following.holder == holding.holder:
                return
            due = max(holding.end - self.routing.handoff_before, holding.start)
            yield Handoff(holding.end, due, holding, following)
            holding = following
            limit = holding.start + HORIZON

    def due_handoff(self, issue_key: str, level: str, region: str, created: datetime,
                    now: datetime) -> tuple[Handoff | None, Handoff | None]:
        """(the latest handoff already due at `now`, the next one after it). Only the latest due
        one is made: a late triage or a worker back after hours catches up with one handoff to
        the holder of now, not one per missed shift (the rule of reminders, POLICY.md 5)."""
        latest = None
        for handoff in self.handoffs(issue_key, level, region, created):
            if handoff.due > now:
                return latest, handoff
            latest = handoff
        return latest, None


def _day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    tz = zone_named(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _engineer(roster, issue_key: str, t: datetime, zone: str) -> Engineer | None:
    """One engineer of the roster on shift at `t` (hours in `zone`; an entry without hours is
    always on), picked by the issue key: the same request gets the same engineer on every retry,
    and requests spread over the people on shift."""
    local = t.astimezone(zone_named(zone))
    minute = local.hour * 60 + local.minute
    on = [person for person in roster if person.hours is None or any(
        start.hour * 60 + start.minute <= minute < (24 * 60 if end == time(0) else end.hour * 60 + end.minute)
        for start, end in person.hours.get(local.weekday(), ()))]
    if not on:
        return None
    person = on[int(hashlib.sha256(issue_key.encode()).hexdigest(), 16) % len(on)]
    return Engineer(person.display_name, person.account_id, person.username)


_built: dict[str, Rota] = {}


def rota_for(config) -> Rota | None:
    """The config's rota (None: the config routes nothing), built once per config version."""
    if config.routing is None:
        return None
    found = _built.get(config.version)
    if found is None:
        if len(_built) > 8:  # configs replaced by live reloads
            _built.clear()
        found = _built[config.version] = Rota(config)
    return found
