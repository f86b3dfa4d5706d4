"""Firing one claimed reminder, and checking a request after an event, against Jira's state.

Firing, in order (each step may end it):
1. the member must still be claimed (a cancel or recompute takes it away), and no other firing
   of it may be running (a lock);
2. read the issue and its decision; not triaged or not entitled: drop it;
3. fired already in this SLA cycle (the "fired" mark, checked first): drop it;
4. the decision no longer has this threshold: drop it; its instant moved later: put it back;
   a higher threshold has passed as well: drop it (only the highest passed one fires);
5. the request was answered or resolved: cancel what is left of the cycle;
6. the threshold's comment is already on the issue (a crash after posting): mark it fired;
7. labels, the optional chat message, then the comment (last: once it is there, the threshold
   is done), then the "fired" mark (SET NX) and the audit entry. In shadow mode the gateway
   records the writes instead of sending them, the chat message is recorded too, and no fired
   mark is left (the reminder is dropped from the schedule; the sweep puts it back once shadow
   mode is off).
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import redis

from worker import clock
from worker import open_requests
from worker.reminders import handoffs
from worker.reminders.outcome import Outcome
from worker.jira.errors import JiraRejected
from worker.jira.gateway import label_update
from worker.reminders import response
from worker.reminders.participants import AccountTypes, participants_field
from worker.reminders.actions import (
    ChatUnavailable,
    already_posted,
    chat_payload,
    post_chat,
    render_comment,
)
from worker.metrics import REMINDERS, REMINDERS_LATE
from worker.instants import iso_utc
from worker.policy.decision import PROPERTY
from worker.reminders.plan import threshold_code
from worker.reminders.schedule import cancel_reminders, configured_codes, plan_or_none
from worker.settings import ReminderSettings, chat_webhook_url
from worker.reminders.store import ReminderStore, parse_member

if TYPE_CHECKING:  # the reminder code uses services of this shape, however assembled
    from worker.runtime import TaskServices

log = logging.getLogger(__name__)

ISSUE_FIELDS = ["summary", "status", "reporter", "labels"]
EARLY = timedelta(seconds=1)  # scores are kept to the millisecond


def fire(services: TaskServices, name: str, now: datetime, settings: ReminderSettings, attempt: int = 0) -> Outcome:
    """Fire the claimed reminder `name` ("PS-1|75"). Jira failures and ChatUnavailable propagate
    (the task retries); the claim is kept until the reminder is done or dropped."""
    issue_key, code = parse_member(name)
    store = ReminderStore(services.redis)
    hold = hold_for(services)
    if not store.hold(name, now + hold):
        return _done(Outcome("not_scheduled", issue_key, "no longer claimed: cancelled, replaced or done"))
    token = store.lock(name, hold)
    if token is None:
        return _done(Outcome("busy", issue_key, "another firing of it is running"))
    renewer = _Renewer(store, name, token, hold)
    # A handoff (worker/reminders/handoffs.py) shares the schedule, the claim and the lock.
    held = handoffs.fire_held if handoffs.is_handoff(code) else _fire_held
    try:
        return _done(held(services, store, name, issue_key, code, now, settings, attempt))
    except JiraRejected as exc:
        # Refused for good (issue deleted, no permission): retrying cannot help; say so.
        store.release(name)
        services.audit.record(issue_key, "reminder_failed", threshold=code, error=str(exc))
        log.error("reminder %s dropped: %s", name, exc)
        return _done(Outcome("failed", issue_key, str(exc)))
    finally:
        renewer.stop()
        store.unlock(name, token)


LEASE = timedelta(seconds=30)  # a running firing's claim and lock, renewed every third of it


def hold_for(services: TaskServices) -> timedelta:
    # A live firing renews its claim and lock (_Renewer); one whose worker died gives both up
    # within this, and the beat's clock loop queues it again at its next tick. Never longer than a
    # task may run (Celery kills it at the time limit).
    return min(LEASE, timedelta(seconds=services.settings.task_time_limit + 5))


class _Renewer:
    """Stretches a firing's claim and lock while it runs, as the triage's lock is (worker/triage_guard.py)."""

    def __init__(self, store: ReminderStore, name: str, token: str, hold: timedelta):
        self.store, self.name, self.token, self.hold = store, name, token, hold
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"renew {name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self.hold.total_seconds() / 3):
            try:
                # The claim only while it is still claimed (a cancel, a deferral or the end take it).
                self.store.hold(self.name, clock.now() + self.hold)
                if not self.store.renew_lock(self.name, self.token, self.hold):
                    log.warning("reminder %s: its firing lock lapsed before it was renewed", self.name)
                    return
            except redis.RedisError as exc:  # again at the next turn; the lease still runs
                log.warning("reminder %s: claim not renewed: %s", self.name, exc)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)


def _done(outcome: Outcome) -> Outcome:
    REMINDERS.labels(outcome=outcome.status).inc()
    if outcome.status != "fired":
        log.info("reminder %s: %s %s", outcome.issue_key, outcome.status, outcome.detail)
    return outcome


def _fire_held(services: TaskServices, store: ReminderStore, name: str, issue_key: str, code: str, now: datetime,
               settings: ReminderSettings, attempt: int) -> Outcome:
    gateway = services.gateway()
    issue = gateway.get_issue(issue_key, fields=ISSUE_FIELDS, properties=[PROPERTY])
    plan = plan_or_none(issue_key, (issue.get("properties") or {}).get(PROPERTY))
    if plan is None or not plan.entitled:
        store.release(name)
        return Outcome("not_entitled", issue_key, "no entitled decision on the issue")
    if store.fired_codes(issue_key, plan.cycle, [code]):
        store.release(name)
        return Outcome("already_fired", issue_key, f"{code}% of cycle {plan.cycle}")
    threshold = plan.threshold(code)
    if threshold is None:
        store.release(name)
        return Outcome("not_in_decision", issue_key, f"the decision has no {code}% reminder")
    if threshold.instant > now + EARLY:
        store.defer(name, threshold.instant)
        return Outcome("not_yet", issue_key, f"{code}% now due {threshold.instant.isoformat()}")
    highest = plan.highest_passed(now)
    if highest is not None and highest.at > threshold.at:
        store.release(name)
        services.audit.record(issue_key, "reminder_superseded", threshold=code, cycle=plan.cycle,
                              by=highest.code)
        return Outcome("superseded", issue_key, f"{highest.code}% has passed as well")

    fields = issue.get("fields") or {}
    verdict, comments = read_verdict(services, gateway, issue_key, fields, plan.cycle, settings)
    if verdict.answered:
        cancel_reminders(services, issue_key, verdict.evidence, cycle=plan.cycle, plan=plan)
        open_requests.answered(services.redis, issue_key, verdict.state, verdict.evidence, plan.cycle)
        return Outcome("cancelled", issue_key, verdict.evidence)

    config = services.config()
    reminder = next((r for r in config.reminders if threshold_code(r.at) == code), None)
    if reminder is None:
        store.release(name)
        return Outcome("not_configured", issue_key, f"the mapping config has no {code}% reminder")
    comment = render_comment(reminder, plan, threshold, config, gateway.deployment)
    if comment is not None:
        if comments is None:
            comments = gateway.get_comments(issue_key)
        if already_posted(comments, plan.cycle, code):
            store.mark_fired(issue_key, plan.cycle, code)
            store.release(name)
            services.audit.record(issue_key, "reminder", threshold=code, cycle=plan.cycle, level=plan.level,
                                  outcome="comment already posted; marked fired")
            return Outcome("already_posted", issue_key, f"{code}% comment found on the issue")

    actions: list[str] = []
    missing = [label for label in reminder.labels if label not in (fields.get("labels") or [])]
    if missing:
        try:
            gateway.edit_issue(issue_key, update={"labels": label_update(add=missing)})
            actions.append("labels " + ",".join(missing))
        except JiraRejected as exc:
            # A label Jira refuses (field off the screen, no permission) must not silence the
            # escalation itself: the comment still goes out, and the audit says what failed.
            actions.append(f"labels refused ({exc.status})")
            log.error("reminder %s: labels %s refused: %s", name, missing, exc)
    url = chat_webhook_url(reminder.notify_url_env)
    if url and gateway.shadow:
        # Shadow mode writes nothing anywhere: the chat message is recorded like the Jira writes.
        services.audit.record(issue_key, "shadow_write", operation="post_chat",
                              would_write=chat_payload(plan, threshold, str(fields.get("summary") or ""), now))
        actions.append("chat")
    elif url:
        try:
            post_chat(url, chat_payload(plan, threshold, str(fields.get("summary") or ""), now), settings.chat_timeout)
            actions.append("chat")
        except ChatUnavailable as exc:
            if attempt + 1 < settings.chat_attempts:
                raise
            actions.append(f"chat failed ({exc})")
            log.error("reminder %s: %s; firing without it after %d attempts", name, exc, attempt + 1)
    if comment is not None:
        gateway.add_internal_comment(issue_key, comment)
        actions.append("comment")
    if gateway.shadow:
        # Nothing was sent (the gateway recorded it): no fired mark, so that once shadow mode is
        # off the sweep puts the reminder back and it fires for real.
        store.release(name)
        services.audit.record(issue_key, "reminder", threshold=code, cycle=plan.cycle, level=plan.level,
                              outcome="shadow", would=actions, jira_calls=len(gateway.call_log))
        return Outcome("shadow", issue_key, ", ".join(actions))
    _count_if_late(name, threshold.instant, settings)
    store.mark_fired(issue_key, plan.cycle, code)
    store.release(name)
    services.audit.record(issue_key, "reminder", threshold=code, cycle=plan.cycle, level=plan.level,
                          due=iso_utc(plan.due) if plan.due else None,
                          actions=actions, jira_calls=len(gateway.call_log))
    log.info("reminder %s: fired %s%% (%s)", issue_key, code, ", ".join(actions) or "no actions")
    return Outcome("fired", issue_key, ", ".join(actions))


def _count_if_late(name: str, instant: datetime, settings: ReminderSettings) -> None:
    # Measured once its actions are done, so a firing that retried counts once. Whatever held it
    # up (beat or the time lane's worker down or saturated, a slow Jira): alerted on as
    # PSWRemindersLate (deploy/alerts/).
    late = (clock.now() - instant).total_seconds()
    if late > settings.late_after:
        REMINDERS_LATE.inc()
        log.warning("reminder %s: fired %.0f s after its instant (REMINDER_LATE_AFTER_SECONDS %g)",
                    name, late, settings.late_after)


def read_verdict(services: TaskServices, gateway, issue_key: str, fields: dict, cycle: int,
                 settings: ReminderSettings) -> tuple[response.Verdict, list[dict] | None]:
    """The first-response verdict, and the comments if they had to be read for it. A comment's
    author is told apart (agent, customer, app) only when it is in doubt: the author is looked
    up (Cloud's account type, Data Center's licences), the request participants are read when
    that cannot tell."""
    done = response.resolved(fields)
    if done is not None:
        return done, None
    try:
        by_sla = response.by_sla(gateway.get_sla(issue_key), settings.first_response_sla, cycle)
    except JiraRejected as exc:
        if exc.status not in (403, 404):
            raise
        by_sla = None  # not a service desk request, or no SLA permission: the comments decide
    if by_sla is not None:
        return by_sla, None
    comments = gateway.get_comments(issue_key)
    verdict = response.by_comments(comments, fields.get("reporter"),
                                   participants=lambda: _participants(services, gateway, issue_key),
                                   account_type_of=AccountTypes(gateway))
    return verdict or response.by_status(fields, settings.responded_statuses), comments


def _participants(services: TaskServices, gateway, issue_key: str):
    field = participants_field(services.redis, services.config().fields.request_participants, gateway)
    if field is None:
        return None  # no such field on this site: an author is told apart by the rest
    issue = gateway.get_issue(issue_key, fields=[field])
    return (issue.get("fields") or {}).get(field)


def check_request(services: TaskServices, ref: str, reason: str, settings: ReminderSettings) -> Outcome:
    """After an event that may be a first response: cancel what is left of the cycle if it is.

    `ref` is an issue key or (Data Center comment events) an issue id. With a key, nothing is
    read from Jira unless the issue has reminders pending."""
    store = ReminderStore(services.redis)
    codes = configured_codes(services.config())
    looks_like_key = "-" in ref
    if looks_like_key and not store.scheduled(ref, codes):
        return Outcome("nothing_pending", ref)
    gateway = services.gateway()
    issue = gateway.get_issue(ref, fields=ISSUE_FIELDS, properties=[PROPERTY])
    issue_key = issue.get("key") or ref
    plan = plan_or_none(issue_key, (issue.get("properties") or {}).get(PROPERTY))
    if plan is None or not plan.entitled:
        return Outcome("not_entitled", issue_key)
    if not looks_like_key and not store.scheduled(issue_key, codes | plan.codes):
        return Outcome("nothing_pending", issue_key)
    verdict, _ = read_verdict(services, gateway, issue_key, issue.get("fields") or {}, plan.cycle, settings)
    if not verdict.answered:
        return Outcome("still_waiting", issue_key, verdict.evidence)
    cancel_reminders(services, issue_key, f"{reason}: {verdict.evidence}", cycle=plan.cycle, plan=plan)
    open_requests.answered(services.redis, issue_key, verdict.state, verdict.evidence, plan.cycle)
    return Outcome("cancelled", issue_key, verdict.evidence)

