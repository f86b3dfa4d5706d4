"""The reconciliation sweep (beat, every RECONCILE_INTERVAL_SECONDS): Jira is the source of truth.

1. Requests created recently that carry no triage (their webhook never came): queue the triage.
   JQL finds requests without the triage's labels; the property, fetched with the search, has the
   last word (JQL cannot search an issue property unless an app indexes it). A request is queued
   at most once an hour, so one the triage cannot finish is not queued every sweep.
2. Half-done triages (issue 10): a request that carries a triage label or field but no property,
   or whose Redis progress shows a decision's writes begun and its property not written (the
   comment endpoint refused, retries ran out, the task was lost with Redis). Queued for a triage
   that finishes the same resumable writes (worker/triage.py) and is audited `repaired`.
3. Open triaged requests (not in shadow mode): every reminder their decision says is pending and that is neither on
   the schedule nor fired is put back, and so is a follow-the-sun request's next handoff. After Redis is wiped the schedule is whole again after one
   sweep; a threshold whose comment is already on the issue is then recognised by its marker
   when it fires, and not posted twice. Requests whose cycle was answered are skipped (the
   "settled" mark); after a wipe, firing finds them answered once and marks them again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from worker import open_requests
from worker.metrics import RECONCILED
from worker.policy.decision import PROPERTY
from worker.reminders.handoffs import rebuild_handoff
from worker.reminders.schedule import plan_or_none, rebuild_missing
from worker.settings import ReminderSettings
from worker.triage import Progress

if TYPE_CHECKING:  # the reminder code uses services of this shape, however assembled
    from worker.runtime import TaskServices

log = logging.getLogger(__name__)

REPAIR_REASON = "repair"
REQUEUE_AFTER = timedelta(hours=1)


@dataclass
class ReconcileReport:
    queued_for_triage: list[str] = field(default_factory=list)
    rebuilt: dict[str, list[str]] = field(default_factory=dict)  # issue key -> threshold codes
    untriaged_seen: int = 0
    queued_for_repair: list[str] = field(default_factory=list)
    open_seen: int = 0
    handoffs_rebuilt: list[str] = field(default_factory=list)  # issue keys (worker/reminders/handoffs.py)


def _quoted(values) -> str:
    return ", ".join('"' + str(v).replace('"', '\\"') + '"' for v in values)


def _scoped(jql: str, settings: ReminderSettings) -> str:
    scope = settings.reconcile_scope_jql
    return f"({scope}) AND {jql}" if scope else jql


def untriaged_jql(config, settings: ReminderSettings) -> str:
    labels = _quoted([*config.labels.entitled, config.labels.not_entitled])
    window = f"created >= -{settings.untriaged_lookback_minutes}m"
    if settings.untriaged_grace_minutes:
        window += f" AND created <= -{settings.untriaged_grace_minutes}m"
    return _scoped(f"{window} AND (labels IS EMPTY OR labels NOT IN ({labels}))", settings) + " ORDER BY created ASC"


def _cf(field_id: str) -> str:
    return f"cf[{field_id.removeprefix('customfield_')}]" if field_id.startswith("customfield_") else field_id


def half_done_jql(config, settings: ReminderSettings) -> str:
    """Requests the triage began writing: its labels or fields are there (the property, fetched
    with the search, then says whether it finished)."""
    labels = _quoted(dict.fromkeys([*config.labels.entitled, config.labels.not_entitled,
                                    *(level.label for level in config.levels.values())]))
    marks = [f"labels IN ({labels})"]
    marks += [f"{_cf(f)} IS NOT EMPTY" for f in (config.write_fields.level, config.write_fields.due) if f]
    window = f"created >= -{settings.untriaged_lookback_minutes}m"
    if settings.untriaged_grace_minutes:
        window += f" AND created <= -{settings.untriaged_grace_minutes}m"
    return _scoped(f"{window} AND ({' OR '.join(marks)})", settings) + " ORDER BY created ASC"


def _queue_once(services: TaskServices, key: str, why: str = "retriage") -> bool:
    """At most once an hour per request and pass, so one the triage cannot finish is not queued
    every sweep."""
    return bool(services.redis.set(f"psw:reminders:{why}:{key}", "1", nx=True, ex=REQUEUE_AFTER))


def open_jql(config, settings: ReminderSettings) -> str:
    labels = _quoted(config.labels.entitled)
    return _scoped(f"labels IN ({labels}) AND statusCategory != Done AND "
                   f"created >= -{settings.open_lookback_days}d", settings) + " ORDER BY created ASC"


def reconcile(services: TaskServices, now: datetime, queue_triage: Callable[[str, str], None],
              settings: ReminderSettings) -> ReconcileReport:
    """One sweep. `queue_triage(issue_key, reason)` queues the triage task. Jira failures
    propagate: the next sweep does the whole job again."""
    config = services.config()
    gateway = services.gateway()
    report = ReconcileReport()
    if services.settings.shadow_mode:
        log.info("reconcile: shadow mode, not looking for untriaged requests")
    else:
        for issue in gateway.search(untriaged_jql(config, settings), fields=["created"],
                                    properties=[PROPERTY], limit=settings.reconcile_max_issues):
            report.untriaged_seen += 1
            key = issue.get("key")
            if not key or (issue.get("properties") or {}).get(PROPERTY) is not None:
                continue
            if not _queue_once(services, key):
                continue
            queue_triage(key, "reconcile: no triage on the issue (its webhook never came?)")
            report.queued_for_triage.append(key)
            RECONCILED.labels(result="queued_for_triage").inc()
        for issue in gateway.search(half_done_jql(config, settings), fields=["created"],
                                    properties=[PROPERTY], limit=settings.reconcile_max_issues):
            key = issue.get("key")
            if not key:
                continue
            recorded = (issue.get("properties") or {}).get(PROPERTY)
            if recorded is not None and not Progress(services.redis, key).unfinished():
                continue
            if not _queue_once(services, key, REPAIR_REASON):
                continue
            queue_triage(key, f"{REPAIR_REASON}: triage begun on the issue and not finished")
            report.queued_for_repair.append(key)
            RECONCILED.labels(result="queued_for_repair").inc()
    seen = []
    for issue in gateway.search(open_jql(config, settings), fields=["created"],
                                properties=[PROPERTY], limit=settings.reconcile_max_issues):
        report.open_seen += 1
        key = issue.get("key")
        seen.append(key)
        plan = plan_or_none(key, (issue.get("properties") or {}).get(PROPERTY)) if key else None
        if plan is None:
            continue
        open_requests.record_missing(services.redis, key, issue["properties"][PROPERTY], issue.get("fields"))
        if services.settings.shadow_mode:
            # A shadow reminder writes nothing and leaves no fired mark, so one rebuilt here would
            # be put back and "fired" again every sweep: shadow mode fires only what was scheduled.
            continue
        added = rebuild_missing(services, plan, now)
        if added:
            report.rebuilt[key] = added
            RECONCILED.labels(result="reminders_rebuilt").inc(len(added))
        if rebuild_handoff(services, plan, now):
            report.handoffs_rebuilt.append(key)
            RECONCILED.labels(result="handoff_rebuilt").inc()
    if report.open_seen < settings.reconcile_max_issues:  # the search was complete: the board drops the rest
        open_requests.prune(services.redis, seen, now, now - timedelta(days=settings.open_lookback_days, hours=-1))
    log.info("reconcile: %d untriaged queued (of %d seen), %d half-done queued for repair, reminders rebuilt on %d issue(s) (of %d open)",
             len(report.queued_for_triage), report.untriaged_seen, len(report.queued_for_repair), len(report.rebuilt), report.open_seen)
    return report
