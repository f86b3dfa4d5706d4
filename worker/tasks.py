"""Celery tasks: thin. They load what they need by id, call the core, record the audit, and map
failures to retries (docs/DESIGN.md decision 5): Retry-After is honoured as a countdown, never by
sleeping, and a request is never marked not entitled because something was down."""
from __future__ import annotations

import logging
import random

import redis
from celery import shared_task
from celery.exceptions import Retry

from worker import clock, inflight, node, queues, recent_decisions, unstarted
from worker.bodies import mapping, text
from worker.entitlement.sources import fresh
from worker.jira.errors import JiraWriteUncertain
from worker.metrics import TRIAGE_WRITES
from worker.jira.retry import countdown_cap
from worker.task_base import RETRYABLE, PswTask
from worker.reminders import schedule_for_decision
from worker.reminders.handoffs import schedule_handoff
from worker.reminders.reconcile import REPAIR_REASON
from worker.triage import audit_entry, triage
from worker.triage_guard import LEASE, IssueBusy, TriageGuard

log = logging.getLogger(__name__)

# A second triage of a busy issue waits this long (seconds, drawn at random so two waiters part).
BUSY_COUNTDOWN = (1.0, 10.0)


def run_triage(task: PswTask, issue: dict, delivery_id: str, read_first: bool = False,
               agent_priority: bool = False, requested_by: str | None = None) -> dict:
    """One triage of one issue at a time (worker/triage_guard.py), marked in flight while it runs
    (worker/inflight.py) so that a lost worker's task is queued again within about a minute, at
    once when its node's supervisor sees it die (the mark names the node and the issue lock)."""
    svc = task.services
    in_flight = inflight.member(task.name, list(task.request.args or ()))

    def running() -> None:  # this node runs it, and holds or is taking the issue lock
        inflight.hold(svc.redis, in_flight, inflight.deadline(clock.now(), LEASE), holder)

    def waiting(countdown: float) -> None:  # a retry's delayed message: no node holds it meanwhile
        inflight.hold(svc.redis, in_flight, inflight.deadline(clock.now(), LEASE, countdown))

    guard = TriageGuard(svc.redis, issue["key"], on_renew=running)
    holder = inflight.Holder(node.current(), guard.key, guard.token)
    running()
    retrying = False
    try:
        with guard:
            return _triage_and_schedule(task, issue, delivery_id, read_first, agent_priority,
                                        on_retry=waiting, keep_lock=guard.keep_for, requested_by=requested_by)
    except IssueBusy:
        retrying = True
        countdown = random.uniform(*BUSY_COUNTDOWN)
        waiting(countdown)
        task.count("busy")
        log.info("%s %s: another triage of the issue runs; again in %.1fs", task.short_name, issue["key"], countdown)
        task.again_in(countdown)  # the holder's lease bounds the wait
    except Retry:
        retrying = True
        raise
    finally:
        if not retrying:
            inflight.release(svc.redis, in_flight)


def undecided_countdown(deferral: int, settings) -> float:
    """Seconds before the `deferral`-th retry of an undecided request: doubling, capped."""
    return min(float(settings.undecided_retry_seconds) * 2 ** (deferral - 1), countdown_cap(settings.visibility_timeout))


def _triage_and_schedule(task: PswTask, issue: dict, delivery_id: str, read_first: bool,
                         agent_priority: bool, on_retry, keep_lock, requested_by: str | None = None) -> dict:
    """`keep_lock(seconds)`: hold the issue lock that long after this attempt (a write in doubt)."""
    svc, name = task.services, task.short_name
    asked = {"requested_by": requested_by} if requested_by else {}
    issue_key = issue["key"]
    gateway = svc.gateway()
    config = None
    try:
        config = svc.config()
        # A re-triage is asked for after a record changed: it reads the source, not the cache.
        source = fresh(svc.entitlements()) if requested_by else svc.entitlements()
        result = triage(issue=issue, delivery_id=delivery_id, config=config, source=source,
                        gateway=gateway, redis_client=svc.redis, now=clock.now(),
                        shadow=svc.settings.shadow_mode, read_first=read_first, agent_priority=agent_priority,
                        undecided_retries=svc.settings.undecided_retries, requested_by=requested_by)
    except Exception as exc:
        failure = dict(delivery_id=delivery_id, config_version=config.version if config else "-",
                       calls=gateway.call_log)
        if not isinstance(exc, RETRYABLE):  # an odd shape or a bug: audited and counted, not a silent crash
            return task.failed_unexpectedly("triage", issue_key, exc, **audit_entry(None, **failure), **asked)
        svc.audit.record(issue_key, "triage", **audit_entry(None, **failure, error=exc), **asked)
        if isinstance(exc, JiraWriteUncertain):  # no other triage of the issue looks before it landed
            keep_lock(exc.settle)
        task.retry_for(exc, on_retry)
    _keep_for_preview(svc.redis, result)
    if result.status == "deferred":
        # Undecided: nothing written; again later (reading the issue afresh), then for a person.
        countdown = undecided_countdown(result.deferral, svc.settings)
        svc.audit.record(issue_key, "triage", **audit_entry(
            result, delivery_id=delivery_id, config_version=config.version, calls=gateway.call_log,
            shadow=svc.settings.shadow_mode), **asked, retry_in=countdown,
            retries_left=svc.settings.undecided_retries - result.deferral)
        task.count("deferred")
        log.info("%s %s: cannot decide (%s); again in %.0fs", name, issue_key,
                 ", ".join(r.code.value for r in result.decision.undecided), countdown)
        on_retry(countdown)
        task.again_in(countdown)  # UNDECIDED_RETRIES bounds these
    repaired = delivery_id.startswith(REPAIR_REASON) and result.status == "written"
    svc.audit.record(issue_key, "triage", **audit_entry(
        result, delivery_id=delivery_id, config_version=config.version, calls=gateway.call_log,
        shadow=svc.settings.shadow_mode), **asked, **({"repaired": True} if repaired else {}))
    if result.status != "shadow":
        # Every time, not only after a write: a retry that finds the writes done must still
        # schedule, and a request no longer entitled must lose its reminders.
        try:
            schedule_for_decision(svc, issue_key, result.property, clock.now())
            schedule_handoff(svc, issue_key, result.property, clock.now())
        except redis.RedisError as exc:
            task.retry_for(exc, on_retry)
    task.count("ok")
    TRIAGE_WRITES.labels(result="repaired" if repaired else result.status).inc()
    log.info("%s %s: %s (decision %s, %d Jira calls)", name, issue_key, "repaired" if repaired else result.status,
             result.decision_id, len(gateway.call_log))
    return {"status": result.status, "issue": issue_key, "decision": result.decision_id,
            "calls": len(gateway.call_log), **({"repaired": True} if repaired else {})}


def _keep_for_preview(client, result) -> None:
    """The decision and its inputs, for the console's config preview: material for a preview, not
    a record anything depends on, so a Redis failure here costs the triage nothing."""
    try:
        recent_decisions.record(client, result.inputs, result.decision)
    except redis.RedisError as exc:
        log.warning("triage %s: decision not kept for the config preview (%s)", result.issue_key, type(exc).__name__)


@shared_task(bind=True, base=PswTask, name=queues.TRIAGE_REQUEST)
def triage_request(self: PswTask, delivery_id: str) -> dict:
    """Triage the request a `jira:issue_created` delivery announced."""
    unstarted.started(self.services.redis, inflight.member(self.name, [delivery_id]))
    body = self.services.deliveries.body(delivery_id)
    issue = mapping(mapping(body).get("issue"))
    if not text(issue.get("key")):
        # The reconciliation sweep finds requests whose triage never happened.
        self.count("invalid")
        log.error("triage: delivery %s has %s", delivery_id,
                  "no stored body (expired?)" if body is None else "no issue key")
        return {"status": "invalid"}
    return run_triage(self, issue, delivery_id)


@shared_task(bind=True, base=PswTask, name=queues.TRIAGE_BY_KEY)
def triage_by_key(self: PswTask, issue_key: str, reason: str, agent_priority: bool = False,
                  requested_by: str | None = None) -> dict:
    """Triage a request found without a webhook (reconciliation), changed
    (worker/reminders/tasks.py), or asked for (`requested_by`: a re-triage, worker/retriage.py,
    which queues it with a queued mark); `agent_priority`: an agent changed its priority."""
    unstarted.started(self.services.redis, inflight.member(self.name, list(self.request.args or ())))
    return run_triage(self, {"key": issue_key, "fields": {}}, f"{reason}:{issue_key}",
                      read_first=True, agent_priority=agent_priority, requested_by=requested_by)
