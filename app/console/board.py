"""The board: open Priority Support requests, most urgent first, and breach counts. Pure, over the
rows worker/open_requests.py keeps (instants as epoch seconds), so 5,000 rows cost little: every
row is classified by comparing numbers; only the rows shown are formatted and measured on their
level's calendar.

States, in order of urgency:
- breached: the due time passed with no first response (or the response came after it);
- at risk: no response yet and 75 % of the target has elapsed on the level's calendar (the 75 %
  reminder's instant, from the decision);
- waiting: no response yet, less elapsed;
- responded: the first response came in time.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from worker.open_requests import breached

BREACHED, AT_RISK, WAITING, RESPONDED = "breached", "at risk", "waiting", "responded"
STATES = (BREACHED, AT_RISK, WAITING, RESPONDED)
WINDOWS = (7, 30)  # days of breach counts
DIMENSIONS = ("level", "region", "customer")
CUSTOMER_CHARS = 100


class FilterError(ValueError):
    """A filter the board cannot apply; the message names it."""


@dataclass(frozen=True)
class Filters:
    level: str = ""
    region: str = ""
    customer: str = ""  # a part of the customer's name, any case
    state: str = ""
    team: str = ""  # the team holding it now (routing)

    @classmethod
    def parse(cls, args: Mapping[str, str], levels: Iterable[str], regions: Iterable[str],
              teams: Iterable[str] = ()) -> Filters:
        level, region = args.get("level", "").strip(), args.get("region", "").strip().upper()
        team, teams = args.get("team", "").strip(), list(teams)
        if team and team not in teams:
            raise FilterError(f"team: {_shown(team)} is not a team of the running config ({', '.join(teams) or 'none'})")
        customer, state = args.get("customer", "").strip(), args.get("state", "").strip()
        levels, regions = list(levels), list(regions)
        if level and level not in levels:
            raise FilterError(f"level: {_shown(level)} is not a level of the running config ({', '.join(levels)})")
        if region and region not in regions:
            raise FilterError(f"region: {_shown(region)} is not a region of the running config ({', '.join(regions)})")
        if len(customer) > CUSTOMER_CHARS:
            raise FilterError(f"customer: at most {CUSTOMER_CHARS} characters")
        if not customer.isprintable():
            raise FilterError("customer: only printable characters")
        if state and state not in STATES:
            raise FilterError(f"state: {_shown(state)} is not one of {', '.join(STATES)}")
        return cls(level, region, customer, state, team)

    def keep(self, row: Mapping[str, Any], state: str) -> bool:
        return ((not self.level or row["level"] == self.level)
                and (not self.region or row["region"] == self.region)
                and (not self.customer or self.customer.casefold() in row["customer"].casefold())
                and (not self.state or state == self.state)
                and (not self.team or row.get("team") == self.team))

    @property
    def active(self) -> bool:
        return bool(self.level or self.region or self.customer or self.state or self.team)


def _shown(value: str) -> str:
    return repr(value[:40] + ("..." if len(value) > 40 else ""))


def state_of(row: Mapping[str, Any], responded: Mapping[str, Any] | None, now: float) -> str:
    if breached(row, responded, now):
        return BREACHED
    if responded and responded.get("cycle", 1) >= row.get("cycle", 1):
        return RESPONDED
    at_risk = row.get("at_risk")
    return AT_RISK if at_risk is not None and now >= at_risk else WAITING


@dataclass
class Board:
    rows: list[tuple[str, dict[str, Any]]]  # (state, row), most urgent first, filtered
    total: int  # open rows before filtering
    counts: dict[str, int]  # state -> rows, before filtering
    breaches: dict[int, dict[str, Counter]] = field(default_factory=dict)  # days -> dimension -> value -> n
    customers: list[str] = field(default_factory=list)


def _urgency(item: tuple[str, dict[str, Any]]) -> tuple:
    state, row = item
    # Unanswered first, the earliest due (the most overdue) on top; answered ones after.
    return (state == RESPONDED, row["due"], row["key"])


def build(rows: list[dict[str, Any]], responded: Mapping[str, Mapping[str, Any]], history: list[dict[str, Any]],
          filters: Filters, now: float) -> Board:
    classified = [(state_of(row, responded.get(row["key"]), now), row) for row in rows]
    counts = Counter(state for state, _ in classified)
    shown = sorted((item for item in classified if filters.keep(item[1], item[0])), key=_urgency)
    return Board(rows=shown, total=len(rows), counts={s: counts.get(s, 0) for s in STATES},
                 breaches=breach_counts(classified, history, now),
                 customers=sorted({row["customer"] for row in rows if row["customer"]}, key=str.casefold))


def breach_counts(classified: list[tuple[str, dict[str, Any]]], history: list[dict[str, Any]],
                  now: float) -> dict[int, dict[str, Counter]]:
    """Breaches whose due fell in the last 7 and 30 days, by level, region and customer: those
    still on the board and those that left it (the history never holds a row still open)."""
    on_board = [row for state, row in classified if state == BREACHED]
    members = {f"{row['key']}|{row['cycle']}" for row in on_board}
    # A request closed and then opened again is in both: counted once.
    breached_rows = on_board + [row for row in history if row["member"] not in members]
    out: dict[int, dict[str, Counter]] = {days: {dim: Counter() for dim in DIMENSIONS} for days in WINDOWS}
    for row in breached_rows:
        age = now - row["due"]
        for days in WINDOWS:
            if 0 <= age <= days * 86400:
                counts = out[days]
                counts["level"][row["level"] or "-"] += 1
                counts["region"][row["region"] or "-"] += 1
                counts["customer"][row["customer"] or "-"] += 1
    return out
