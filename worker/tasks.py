"""Celery tasks: thin. They load what they need by id, call the core, and map Jira failures to
retries (DESIGN.md decision 5): Retry-After is honoured as a countdown, never by sleeping."""
from __future__ import annotations

import logging

from celery import shared_task

from worker.jira.errors import JiraError
from worker.jira.retry import retry_countdown
from worker.metrics import TASKS, TRIAGE_WRITES
from worker.runtime import services
from worker.triage import triage_issue

log = logging.getLogger(__name__)

MAX_RETRIES = 20


def _retry_or_fail(task, exc: JiraError, name: str):
    countdown = retry_countdown(exc, task.request.retries)
    if countdown is None or task.request.retries >= MAX_RETRIES:
        TASKS.labels(task=name, outcome="failed").inc()
        log.error("%s %s gave up: %s", name, task.request.id, exc)
        raise exc
    TASKS.labels(task=name, outcome="retry").inc()
    log.warning("%s %s retrying in %.1fs: %s", name, task.request.id, countdown, exc)
    raise task.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES)


@shared_task(bind=True, name="worker.tasks.triage_request", acks_late=True)
def triage_request(self, delivery_id: str) -> dict:
    body = services().deliveries.body(delivery_id)
    if body is None:
        TASKS.labels(task="triage_request", outcome="expired").inc()
        log.error("triage: delivery %s has no stored body (expired?)", delivery_id)
        return {"status": "expired"}
    issue_key = (body.get("issue") or {}).get("key")
    if not issue_key:
        TASKS.labels(task="triage_request", outcome="invalid").inc()
        log.error("triage: delivery %s has no issue key", delivery_id)
        return {"status": "invalid"}
    try:
        outcome = triage_issue(services().gateway(), issue_key, delivery_id)
    except JiraError as exc:
        _retry_or_fail(self, exc, "triage_request")
    TASKS.labels(task="triage_request", outcome="ok").inc()
    TRIAGE_WRITES.labels(result="wrote" if outcome.wrote else "unchanged").inc()
    return {"status": "ok", "issue": issue_key, "wrote": outcome.wrote}


@shared_task(bind=True, name="worker.tasks.request_changed", acks_late=True)
def request_changed(self, delivery_id: str) -> dict:
    """Updates and comments feed the reminder logic; until it exists they are only counted."""
    TASKS.labels(task="request_changed", outcome="ok").inc()
    return {"status": "noted", "delivery": delivery_id}
