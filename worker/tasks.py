"""Celery tasks: thin. They load what they need by id, call the core, record the audit, and map
failures to retries (docs/DESIGN.md decision 5): Retry-After is honoured as a countdown, never by
sleeping, and a request is never marked not entitled because something was down."""
from __future__ import annotations

import logging

import redis
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from worker import clock
from worker.bodies import mapping, text
from worker.config.live import NoUsableConfig
from worker.entitlement.sources import EntitlementSourceUnavailable
from worker.jira.errors import JiraError
from worker.metrics import TASKS, TRIAGE_WRITES
from worker.retrying import countdown_for, retry_or_fail
from worker.runtime import services
from worker.task_failures import failed_unexpectedly
from worker.reminders import schedule_for_decision
from worker.triage import audit_entry, triage

log = logging.getLogger(__name__)

TRANSIENT = (JiraError, EntitlementSourceUnavailable, SoftTimeLimitExceeded, NoUsableConfig, redis.RedisError)


def _retry(task, name: str, exc: Exception):
    countdown = countdown_for(exc, task.request.retries, services().settings.visibility_timeout)
    retry_or_fail(task, name, exc, countdown)


def run_triage(task, name: str, issue: dict, delivery_id: str, read_first: bool = False) -> dict:
    svc = services()
    issue_key = issue["key"]
    gateway = svc.gateway()
    config = None
    try:
        config = svc.config()
        result = triage(issue=issue, delivery_id=delivery_id, config=config, source=svc.entitlements(),
                        gateway=gateway, redis_client=svc.redis, now=clock.now(),
                        shadow=svc.settings.shadow_mode, read_first=read_first)
    except Exception as exc:
        failure = dict(delivery_id=delivery_id, config_version=config.version if config else "-",
                       calls=gateway.call_log)
        if not isinstance(exc, TRANSIENT):  # an odd shape or a bug: audited and counted, not a silent crash
            return failed_unexpectedly(svc.audit, name, "triage", issue_key, exc, **audit_entry(None, **failure))
        svc.audit.record(issue_key, "triage", **audit_entry(None, **failure, error=exc))
        _retry(task, name, exc)
    svc.audit.record(issue_key, "triage", **audit_entry(
        result, delivery_id=delivery_id, config_version=config.version, calls=gateway.call_log,
        shadow=svc.settings.shadow_mode))
    if result.status != "shadow":
        # Every time, not only after a write: a retry that finds the writes done must still
        # schedule, and a request no longer entitled must lose its reminders.
        try:
            schedule_for_decision(svc, issue_key, result.property, clock.now())
        except redis.RedisError as exc:
            _retry(task, name, exc)
    TASKS.labels(task=name, outcome="ok").inc()
    TRIAGE_WRITES.labels(result=result.status).inc()
    log.info("%s %s: %s (decision %s, %d Jira calls)", name, issue_key, result.status,
             result.decision_id, len(gateway.call_log))
    return {"status": result.status, "issue": issue_key, "decision": result.decision_id,
            "calls": len(gateway.call_log)}


@shared_task(bind=True, name="worker.tasks.triage_request", acks_late=True)
def triage_request(self, delivery_id: str) -> dict:
    """Triage the request a `jira:issue_created` delivery announced."""
    body = services().deliveries.body(delivery_id)
    issue = mapping(mapping(body).get("issue"))
    if not text(issue.get("key")):
        # The reconciliation sweep finds requests whose triage never happened.
        TASKS.labels(task="triage_request", outcome="invalid").inc()
        log.error("triage: delivery %s has %s", delivery_id,
                  "no stored body (expired?)" if body is None else "no issue key")
        return {"status": "invalid"}
    return run_triage(self, "triage_request", issue, delivery_id)


@shared_task(bind=True, name="worker.tasks.triage_by_key", acks_late=True)
def triage_by_key(self, issue_key: str, reason: str) -> dict:
    """Triage a request found without a webhook (reconciliation) or asked for by an admin."""
    return run_triage(self, "triage_by_key", {"key": issue_key, "fields": {}}, f"{reason}:{issue_key}",
                      read_first=True)
