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

from worker.instants import parse_instant
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


def _instant(issue_key: str, name: str, value: Any) -> datetime:
    try:
        return parse_instant(value, f"'{name}'").astimezone(timezone.utc)
    except ValueError as exc:
        raise PlanError(f"{issue_key}: {exc}") from None
