"""A triaged request's reminders, read from its `priority-support` issue property. Pure.

The triage stores its decision on the issue (docs/DESIGN.md decision 2), including every reminder
instant (`reminders`: [{"at": 0.5, "instant": ISO}, ..., {"at": 1.0, ...}], 1.0 = the breach).
Everything the schedule and the firing need comes from there, so Redis holds no copy that could
go stale: a reminder in Redis is only (issue key, threshold), see store.py.

SLA cycle: the n-th period in which a request waits for its first response. Cycle 1 runs from
creation to the first response; Priority Support's target is the initial response, so a request
has one cycle unless its property says `"sla_cycle": n` (a triage that re-opens the clock writes
it). Each threshold fires at most once per request and cycle: the cycle is part of the "fired"
mark, not of the scheduled reminder, so a new cycle re-arms every threshold.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from worker.bodies import mapping, sequence, text
from worker.instants import aware_instant, parse_instant
from worker.policy.decision import PROPERTY, still_to_fire


class PlanError(ValueError):
    """The property cannot be read as a decision; the message names the issue and the key."""


def threshold_code(at: float) -> str:
    """The short, exact name of a threshold: 0.5 -> "50", 0.75 -> "75", 1.0 -> "100"."""
    if isinstance(at, bool) or not isinstance(at, (int, float)) or not 0 < at <= 1:
        raise ValueError(f"a reminder threshold is a fraction in (0, 1], got {at!r}")
    return format(round(at * 100, 4), "g")


def threshold_at(code: str) -> float:
    try:
        at = float(code) / 100
    except (TypeError, ValueError):
        raise ValueError(f"not a threshold code: {code!r}") from None
    if not 0 < at <= 1 or threshold_code(at) != code:
        raise ValueError(f"not a threshold code: {code!r}")
    return at


@dataclass(frozen=True)
class Threshold:
    code: str
    at: float
    instant: datetime

    @property
    def percent(self) -> str:
        return f"{self.code}%"

    @property
    def is_breach(self) -> bool:
        return self.at >= 1


@dataclass(frozen=True)
class ReminderPlan:
    issue_key: str
    entitled: bool
    cycle: int
    level: str | None
    region: str | None
    customer: str | None
    time_zone: str
    created: datetime | None
    due: datetime | None
    thresholds: tuple[Threshold, ...]  # ascending by `at`

    @classmethod
    def from_property(cls, issue_key: str, prop: Any) -> ReminderPlan:
        if not isinstance(prop, Mapping):
            raise PlanError(f"{issue_key}: property {PROPERTY} must be a JSON object, got {type(prop).__name__}")
        entitled = prop.get("entitled")
        if not isinstance(entitled, bool):
            raise PlanError(f"{issue_key}: property {PROPERTY} has no boolean 'entitled'")
        cycle = prop.get("sla_cycle", 1)
        if isinstance(cycle, bool) or not isinstance(cycle, int) or cycle < 1:
            raise PlanError(f"{issue_key}: 'sla_cycle' must be a whole number >= 1, got {cycle!r}")
        thresholds: list[Threshold] = []
        due = None
        if entitled:
            due = _instant(issue_key, "due", prop.get("due"))
            raw = prop.get("reminders")
            if not isinstance(raw, list):
                raise PlanError(f"{issue_key}: 'reminders' must be a list of {{at, instant}}")
            for index, item in enumerate(raw):
                if not isinstance(item, Mapping):
                    raise PlanError(f"{issue_key}: reminders[{index}] must be an object with 'at' and 'instant'")
                try:
                    code = threshold_code(item.get("at"))
                except ValueError as exc:
                    raise PlanError(f"{issue_key}: reminders[{index}].at: {exc}") from None
                instant = _instant(issue_key, f"reminders[{index}].instant", item.get("instant"))
                thresholds.append(Threshold(code, threshold_at(code), instant))
            thresholds.sort(key=lambda t: t.at)
            codes = [t.code for t in thresholds]
            if len(set(codes)) != len(codes):
                raise PlanError(f"{issue_key}: 'reminders' names a threshold twice: {codes}")
        created = prop.get("created")
        return cls(
            issue_key=issue_key, entitled=entitled, cycle=cycle,
            level=prop.get("level"), region=prop.get("region"), customer=prop.get("customer"),
            time_zone=prop.get("time_zone") or "UTC",
            created=_instant(issue_key, "created", created) if created else None,
            due=due, thresholds=tuple(thresholds),
        )

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(t.code for t in self.thresholds)

    def threshold(self, code: str) -> Threshold | None:
        return next((t for t in self.thresholds if t.code == code), None)

    def highest_passed(self, now: datetime) -> Threshold | None:
        passed = [t for t in self.thresholds if t.instant <= now]
        return passed[-1] if passed else None

    def pending(self, now: datetime) -> tuple[Threshold, ...]:
        """What to schedule at `now`: the triage decision's rule for `pending_reminders`."""
        return still_to_fire(self.thresholds, now, lambda threshold: threshold.instant)


@dataclass(frozen=True)
class RecordedDecision:
    """The `priority-support` property read leniently, for the readers that show or compare a
    recorded decision (the board, the request page, a re-triage's "what changed", the triage's
    override and route checks): a field that is missing or of the wrong type is None (a number
    where a name belongs is not a name), never an error, so a malformed property still gives a
    partial board row. ReminderPlan is the strict reading, for what the reminders act on."""
    entitled: bool  # true only for the JSON `true`
    outcome: str | None
    level: str | None
    region: str | None
    customer: str | None
    sen: str | None
    time_zone: str | None
    holidays: str | None
    jira_priority: str | None
    created: datetime | None
    due: datetime | None
    due_text: str | None  # as written, for comparing decisions as JSON (decision_change)
    # (at, instant) for every item with a numeric `at`, in the order written; instant None when
    # unreadable (the request page still lists the threshold, the board leaves it out).
    reminders: tuple[tuple[float, datetime | None], ...]
    reasons: tuple[str, ...]  # the codes; "?" for an entry without one
    # (code, detail) of every reason with a code, in the order written: the console's checks
    reason_details: tuple[tuple[str, str], ...]
    undecided: tuple[str, ...]
    cycle: int
    decision_id: str | None
    route: Mapping[str, Any] | None
    severity_source: str | None
    override_priority: str | None  # `level_override.priority`

    @classmethod
    def parse(cls, prop: Any) -> RecordedDecision:
        """Any value (a property, `Decision.to_dict()`, None) as a recorded decision."""
        prop = mapping(prop)
        cycle = prop.get("sla_cycle", 1)
        route = prop.get("route")
        return cls(
            entitled=prop.get("entitled") is True,
            outcome=text(prop.get("outcome")), level=text(prop.get("level")), region=text(prop.get("region")),
            customer=text(prop.get("customer")), sen=text(prop.get("sen")),
            time_zone=text(prop.get("time_zone")), holidays=text(prop.get("holidays")),
            jira_priority=text(prop.get("jira_priority")),
            created=aware_instant(prop.get("created")), due=aware_instant(prop.get("due")),
            due_text=text(prop.get("due")),
            reminders=tuple((float(item["at"]), aware_instant(item.get("instant")))
                            for item in sequence(prop.get("reminders"))
                            if isinstance(item, Mapping) and isinstance(item.get("at"), (int, float))),
            reasons=_codes(prop.get("reasons")), undecided=_codes(prop.get("undecided")),
            reason_details=tuple((code, str(mapping(reason).get("detail") or ""))
                                 for reason in sequence(prop.get("reasons"))
                                 if (code := mapping(reason).get("code")) and isinstance(code, str)),
            cycle=cycle if isinstance(cycle, int) and not isinstance(cycle, bool) else 1,
            decision_id=text(prop.get("decision_id")),
            route=route if isinstance(route, Mapping) else None,
            severity_source=text(mapping(prop.get("severity")).get("source")),
            override_priority=text(mapping(prop.get("level_override")).get("priority")),
        )

    @property
    def team(self) -> str | None:
        """The team holding the request at the triage (`route.team`)."""
        return text(mapping(self.route).get("team"))


def _codes(reasons: Any) -> tuple[str, ...]:
    return tuple(text(mapping(reason).get("code")) or "?" for reason in sequence(reasons))


def _instant(issue_key: str, name: str, value: Any) -> datetime:
    try:
        return parse_instant(value, f"'{name}'").astimezone(timezone.utc)
    except ValueError as exc:
        raise PlanError(f"{issue_key}: {exc}") from None
