"""Celery tasks of the reminder escalations: thin. The beat's clock loop (worker/timekeeper.py)
queues one `fire_reminder` per due reminder onto the time lane (TIME_QUEUE); beat runs
`reconcile`; webhooks queue `request_changed`.

A failed service becomes a retry with a countdown (worker/task_base.py; never a sleep), kept well
under the visibility timeout; a claimed reminder's lease is stretched to cover the wait.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from worker import clock, inflight, onboarding, open_requests, queues, unstarted
from worker.jira.retry import countdown_cap
from worker.queueing import task_message
from worker.reminders import firing, handoffs
from worker.reminders.actions import ChatUnavailable
from worker.reminders.events import ChangeRules, FieldIds, classify
from worker.reminders.reconcile import reconcile as sweep
from worker.reminders.store import ReminderStore
from worker.task_base import RETRYABLE, PswTask

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


class FiringTask(PswTask):
    """A reminder is worth little late and there are few at a time: it backs off briefly, and
    often; a chat that did not take the message is tried again every 30 s, then longer."""

    backoff_cap = REMINDER_BACKOFF_CAP
    max_retries = REMINDER_MAX_RETRIES

    def countdown(self, exc: Exception) -> float | None:
        if isinstance(exc, ChatUnavailable):
            return min(CHAT_RETRY_SECONDS * (self.request.retries + 1),
                       countdown_cap(self.services.settings.visibility_timeout))
        return super().countdown(exc)


def _queue(task: PswTask, name: str, args: list) -> None:
    # Pushed straight onto the queue's list, as the intake and the dispatcher do: it needs no
    # kombu binding, so it still arrives after Redis was wiped under running processes.
    task.services.redis.lpush(queues.QUEUE, task_message(task.app, name, args, queues.QUEUE))


@shared_task(bind=True, base=PswTask, name=queues.REQUEST_CHANGED)
def request_changed(self: PswTask, delivery_id: str) -> dict:
    svc = self.services
    unstarted.started(svc.redis, inflight.member(self.name, [delivery_id]))
    body = svc.deliveries.body(delivery_id)
    if body is None:
        self.count("expired")
        log.error("request_changed: delivery %s has no stored body (expired?)", delivery_id)
        return {"status": "expired"}
    settings = svc.settings.reminders
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
            _queue(self, queues.TRIAGE_BY_KEY, [change.issue, change.retriage, *([True] if change.agent_priority else [])])
            result.update(retriage=change.retriage)
    except RETRYABLE as exc:
        self.retry_for(exc)
    except Exception as exc:  # an odd shape or a bug: audited and counted, not a silent crash
        return self.failed_unexpectedly("reminder", change.issue if change else None, exc, delivery=delivery_id)
    self.count("ok")
    return result


@shared_task(bind=True, base=FiringTask, name=queues.FIRE_REMINDER)
def fire_reminder(self: FiringTask, member: str) -> dict:
    svc = self.services
    try:
        outcome = firing.fire(svc, member, clock.now(), svc.settings.reminders, attempt=self.request.retries)
    except RETRYABLE as exc:
        # The claim must outlast the wait, or the beat would hand the reminder out again meanwhile.
        store, hold = ReminderStore(svc.redis), firing.hold_for(svc)
        self.retry_for(exc, on_retry=lambda countdown: store.hold(member, clock.now() + timedelta(seconds=countdown) + hold))
    self.count("ok")
    return {"status": outcome.status, "issue": outcome.issue_key, "detail": outcome.detail}


@shared_task(bind=True, base=PswTask, name=queues.RECONCILE)
def reconcile(self: PswTask) -> dict:
    svc = self.services
    try:
        report = sweep(svc, clock.now(), lambda key, reason: _queue(self, queues.TRIAGE_BY_KEY, [key, reason]),
                       svc.settings.reminders)
    except RETRYABLE as exc:
        # The next sweep does the whole job again; no retry piling up behind it.
        self.count("failed")
        log.error("reconcile %s failed, the next sweep tries again: %s", self.request.id, exc)
        return {"status": "failed", "error": str(exc)}
    self.count("ok")
    return {"status": "ok", "queued_for_triage": report.queued_for_triage,
            "queued_for_repair": report.queued_for_repair, "rebuilt": report.rebuilt,
            "handoffs_rebuilt": report.handoffs_rebuilt, "onboarding": _onboard(svc, self.app)}


def _onboard(svc, celery_app) -> dict:
    """The sweep's on-boarding pass (worker/onboarding.py): a failure is logged, and the next
    sweep compares again from the same digests."""
    try:
        report = onboarding.check(svc, celery_app)
    except RETRYABLE as exc:
        log.error("on-boarding check failed, the next sweep tries again: %s", exc)
        return {"status": "failed", "error": str(exc)}
    return {"status": "baseline" if report.baseline else "unlisted" if report.unlisted else "ok",
            "queued": report.queued}
