"""Celery tasks of the reminder escalations: thin. The beat's clock loop (worker/timekeeper.py)
queues one `fire_reminder` per due reminder onto the time lane (TIME_QUEUE); beat runs
`reconcile`; webhooks queue `request_changed`.

Jira failures become retries with worker.jira.retry's countdown (never a sleep), kept well under
the visibility timeout; a claimed reminder's lease is stretched to cover the wait.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from worker import clock, inflight, onboarding, open_requests, unstarted
from worker.celery_app import QUEUE
from worker.entitlement.sources import EntitlementSourceUnavailable
from worker.jira.errors import JiraError
from worker.jira.retry import countdown_cap
from worker.metrics import TASKS
from worker.queueing import task_message
from worker.reminders import firing, handoffs
from worker.reminders.actions import ChatUnavailable
from worker.reminders.dispatch import FIRE_TASK
from worker.reminders.events import ChangeRules, FieldIds, classify
from worker.reminders.reconcile import TRIAGE_TASK
from worker.reminders.reconcile import reconcile as sweep
from worker.reminders.store import ReminderStore
from worker.retrying import BACKOFF_CAP, MAX_RETRIES, countdown_for, retry_or_fail
from worker.runtime import services
from worker.task_failures import failed_unexpectedly

log = logging.getLogger(__name__)

CHAT_RETRY_SECONDS = 30.0
# fire_reminder's own backoff (5xx, timeouts) waits at most this long: a firing reads the issue,
# its SLA and comments and writes twice, all in one attempt, so with Jira failing a third of the
# calls it takes several attempts (the chaos run), and each must not wait a minute.
REMINDER_BACKOFF_CAP = 10.0
# ... and it may take many: one attempt needs all of its 5 calls to succeed, so with a third of
# them failing 20 attempts in a row failed for 1 firing in 12 in the chaos run, which then waited
# out its claim (about 5 minutes). 100 attempts of at most 10 s span a Jira outage of 10-15 min;
# the claim is stretched over each wait, so no second firing starts meanwhile.
REMINDER_MAX_RETRIES = 100


def _queue(task, name: str, args: list) -> None:
    # Pushed straight onto the queue's list, as the intake and the dispatcher do: it needs no
    # kombu binding, so it still arrives after Redis was wiped under running processes.
    services().redis.lpush(QUEUE, task_message(task.app, name, args, QUEUE))


def _retry_or_fail(task, exc: Exception, name: str, *, on_retry=None):
    if isinstance(exc, ChatUnavailable):
        countdown = min(CHAT_RETRY_SECONDS * (task.request.retries + 1),
                        countdown_cap(services().settings.visibility_timeout))
    else:
        # A reminder is worth little late and there are few at a time: back off briefly.
        cap = REMINDER_BACKOFF_CAP if name == "fire_reminder" else BACKOFF_CAP
        countdown = countdown_for(exc, task.request.retries, services().settings.visibility_timeout, cap)
    retry_or_fail(task, name, exc, countdown, on_retry,
                  max_retries=REMINDER_MAX_RETRIES if name == "fire_reminder" else MAX_RETRIES)


@shared_task(bind=True, name="worker.reminders.tasks.request_changed", acks_late=True)
def request_changed(self, delivery_id: str) -> dict:
    svc = services()
    unstarted.started(svc.redis, inflight.member(self.name, [delivery_id]))
    body = svc.deliveries.body(delivery_id)
    if body is None:
        TASKS.labels(task="request_changed", outcome="expired").inc()
        log.error("request_changed: delivery %s has no stored body (expired?)", delivery_id)
        return {"status": "expired"}
    settings = services().settings.reminders
    rules = ChangeRules.from_config(svc.config(), settings.responded_statuses)
    change = None
    try:
        change = classify(body, rules, FieldIds(svc.redis, svc.gateway))
        result = {"status": "ignored", "issue": change.issue, "why": change.ignored}
        if change.relevant:
            result = {"status": "noted", "issue": change.issue}
        if change.resolved:
            open_requests.close(svc.redis, change.issue)  # off the console's board, reminders or not
            handoffs.cancel_handoff(svc, change.issue, "resolved")
        if change.check:
            outcome = firing.check_request(svc, change.issue, change.check, settings)
            result.update(issue=outcome.issue_key, check=change.check, outcome=outcome.status)
        if change.retriage:
            # An agent's priority change travels as a third argument: a level override.
            _queue(self, TRIAGE_TASK, [change.issue, change.retriage, *([True] if change.agent_priority else [])])
            result.update(retriage=change.retriage)
    except JiraError as exc:
        _retry_or_fail(self, exc, "request_changed")
    except Exception as exc:  # an odd shape or a bug: audited and counted, not a silent crash
        return failed_unexpectedly(svc.audit, "request_changed", "reminder", change.issue if change else None,
                                   exc, delivery=delivery_id)
    TASKS.labels(task="request_changed", outcome="ok").inc()
    return result


@shared_task(bind=True, name=FIRE_TASK, acks_late=True)
def fire_reminder(self, member: str) -> dict:
    svc = services()
    try:
        outcome = firing.fire(svc, member, clock.now(), services().settings.reminders, attempt=self.request.retries)
    except (JiraError, ChatUnavailable) as exc:
        # The claim must outlast the wait, or the beat would hand the reminder out again meanwhile.
        store, hold = ReminderStore(svc.redis), firing.hold_for(svc)
        _retry_or_fail(self, exc, "fire_reminder",
                       on_retry=lambda countdown: store.hold(member, clock.now() + timedelta(seconds=countdown) + hold))
    TASKS.labels(task="fire_reminder", outcome="ok").inc()
    return {"status": outcome.status, "issue": outcome.issue_key, "detail": outcome.detail}


@shared_task(bind=True, name="worker.reminders.tasks.reconcile", acks_late=True)
def reconcile(self) -> dict:
    svc = services()
    try:
        report = sweep(svc, clock.now(), lambda key, reason: _queue(self, TRIAGE_TASK, [key, reason]),
                       services().settings.reminders)
    except JiraError as exc:
        # The next sweep does the whole job again; no retry piling up behind it.
        TASKS.labels(task="reconcile", outcome="failed").inc()
        log.error("reconcile %s failed, the next sweep tries again: %s", self.request.id, exc)
        return {"status": "failed", "error": str(exc)}
    TASKS.labels(task="reconcile", outcome="ok").inc()
    return {"status": "ok", "queued_for_triage": report.queued_for_triage,
            "queued_for_repair": report.queued_for_repair, "rebuilt": report.rebuilt,
            "handoffs_rebuilt": report.handoffs_rebuilt, "onboarding": _onboard(svc, self.app)}


def _onboard(svc, celery_app) -> dict:
    """The sweep's on-boarding pass (worker/onboarding.py): a failure is logged, and the next
    sweep compares again from the same digests."""
    try:
        report = onboarding.check(svc, celery_app)
    except (JiraError, EntitlementSourceUnavailable) as exc:
        log.error("on-boarding check failed, the next sweep tries again: %s", exc)
        return {"status": "failed", "error": str(exc)}
    return {"status": "baseline" if report.baseline else "unlisted" if report.unlisted else "ok",
            "queued": report.queued}
