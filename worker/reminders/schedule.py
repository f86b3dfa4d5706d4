"""Putting a request's reminders on the schedule, replacing them, taking them off.

`schedule_for_decision` is what the triage calls after it wrote an entitled decision; the
reconciliation sweep calls `rebuild_missing`; firing and the event handler call `cancel_reminders`
once a request is answered or resolved.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from worker.instants import iso_utc
from worker.reminders.plan import PlanError, ReminderPlan, threshold_code
from worker.reminders.store import ReminderStore

if TYPE_CHECKING:  # the reminder code uses services of this shape, however assembled
    from worker.runtime import TaskServices

log = logging.getLogger(__name__)


def configured_codes(config) -> frozenset[str]:
    """The threshold codes of the running mapping config."""
    return frozenset(threshold_code(r.at) for r in config.reminders)


def known_codes(plan: ReminderPlan | None, config) -> frozenset[str]:
    """Every threshold an issue may have on the schedule: its decision's and the config's. (A
    member left over from an older config is dropped when it comes due: firing finds it in
    neither.)"""
    return configured_codes(config) | (plan.codes if plan else frozenset())


def _to_schedule(store: ReminderStore, plan: ReminderPlan, config, now: datetime) -> dict[str, datetime]:
    # Only thresholds the config has actions for: firing drops any other, and a sweep must not
    # put such a one back every time.
    configured = configured_codes(config)
    pending = [t for t in plan.pending(now) if t.code in configured]
    fired = store.fired_codes(plan.issue_key, plan.cycle, [t.code for t in pending])
    return {t.code: t.instant for t in pending if t.code not in fired}


def schedule_for_decision(services: TaskServices, issue_key: str, prop: dict[str, Any], now: datetime) -> int:
    """Replace `issue_key`'s pending reminders with those of the decision `prop` (the
    `priority-support` property as written); returns how many are now scheduled.

    Scheduled: every threshold still ahead of `now`, plus the highest one already passed (it
    fires at once, once); minus thresholds already fired in the decision's SLA cycle (plan.py).
    A decision that is not entitled, or a cycle whose first response already came, leaves none.
    Raises PlanError (a ValueError) for a property that cannot be read.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    plan = ReminderPlan.from_property(issue_key, prop)
    store = ReminderStore(services.redis)
    codes = known_codes(plan, services.config())
    if not plan.entitled:
        removed = store.remove(issue_key, codes)
        if removed:
            services.audit.record(issue_key, "reminders_cancelled", reason="decision not entitled",
                                  cycle=plan.cycle, removed=removed)
        return 0
    settled = store.settled_cycle(issue_key)
    if settled is not None and settled >= plan.cycle:
        store.remove(issue_key, codes)
        log.info("reminders %s: cycle %s already answered; nothing scheduled", issue_key, plan.cycle)
        return 0
    entries = _to_schedule(store, plan, services.config(), now)
    store.replace(issue_key, codes, entries)
    services.audit.record(issue_key, "reminders_scheduled", cycle=plan.cycle, level=plan.level,
                          due=_iso(plan.due), reminders=_listing(entries))
    log.info("reminders %s: scheduled %s", issue_key, sorted(entries, key=float))
    return len(entries)


def rebuild_missing(services: TaskServices, plan: ReminderPlan, now: datetime) -> list[str]:
    """Add the reminders `plan` should have pending at `now` that are neither scheduled nor
    fired (after Redis lost them); leaves scheduled ones alone. Returns the codes added."""
    if not plan.entitled:
        return []
    store = ReminderStore(services.redis)
    settled = store.settled_cycle(plan.issue_key)
    if settled is not None and settled >= plan.cycle:
        return []
    added = store.add_missing(plan.issue_key, _to_schedule(store, plan, services.config(), now))
    if added:
        services.audit.record(plan.issue_key, "reminders_rebuilt", cycle=plan.cycle, level=plan.level,
                              due=_iso(plan.due), reminders=sorted(added, key=float))
    return added


def cancel_reminders(services: TaskServices, issue_key: str, reason: str, cycle: int | None = None,
                     plan: ReminderPlan | None = None) -> list[str]:
    """Take every pending reminder of the issue off the schedule; returns the codes removed.

    With `cycle`, that cycle is also remembered as answered, so a later re-triage or sweep does
    not put its reminders back (a new cycle does)."""
    store = ReminderStore(services.redis)
    removed = store.remove(issue_key, known_codes(plan, services.config()))
    if cycle is not None:
        store.settle(issue_key, cycle)
    services.audit.record(issue_key, "reminders_cancelled", reason=reason, cycle=cycle, removed=removed)
    log.info("reminders %s: cancelled %s (%s)", issue_key, removed or "none", reason)
    return removed


def plan_or_none(issue_key: str, prop: Any) -> ReminderPlan | None:
    """The plan of a property read from Jira, or None (logged) when there is none to read."""
    if prop is None:
        return None
    try:
        return ReminderPlan.from_property(issue_key, prop)
    except PlanError as exc:
        log.error("reminders: %s", exc)
        return None


def _iso(instant: datetime | None) -> str | None:
    return iso_utc(instant) if instant else None


def _listing(entries: dict[str, datetime]) -> list[dict[str, str]]:
    return [{"at": code, "instant": _iso(at)} for code, at in sorted(entries.items(), key=lambda e: float(e[0]))]
