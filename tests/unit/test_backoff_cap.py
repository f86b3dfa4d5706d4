"""Task retries back off at most BACKOFF_CAP (a reminder's at most REMINDER_BACKOFF_CAP), while
Jira's own Retry-After is honoured as given (worker/retrying.py `countdown_for`). The chaos run
found a triage waiting 120 s and a reminder due seconds later waiting 385 s: Celery counts every
retry, 429s included, so the full-jitter ceiling had doubled past minutes."""
from __future__ import annotations

import random
from contextlib import contextmanager

import pytest
import redis

from worker.jira.errors import JiraRejected, JiraRetryLater, JiraUnavailable, JiraWriteUncertain
from worker.reminders.tasks import REMINDER_BACKOFF_CAP, REMINDER_MAX_RETRIES, fire_reminder
from worker.retrying import BACKOFF_CAP, MAX_RETRIES, countdown_for
from worker.tasks import triage_request

VT = 3600


def test_our_own_backoff_stops_at_the_cap_however_many_retries_came_before():
    random.seed(1)
    waits = [countdown_for(JiraUnavailable("500"), attempt, VT) for attempt in range(20) for _ in range(50)]
    assert max(waits) <= BACKOFF_CAP and max(waits) > BACKOFF_CAP / 2
    assert all(countdown_for(redis.ConnectionError("down"), 12, VT) <= BACKOFF_CAP for _ in range(50))
    assert max(countdown_for(JiraUnavailable("500"), 12, VT, REMINDER_BACKOFF_CAP) for _ in range(50)) \
        <= REMINDER_BACKOFF_CAP


def test_jiras_retry_after_and_an_uncertain_writes_settle_time_are_not_cut_by_the_cap():
    assert countdown_for(JiraRetryLater("429", retry_after=300), 3, VT) == 300
    assert countdown_for(JiraRetryLater("429", retry_after=300), 3, VT, REMINDER_BACKOFF_CAP) == 300
    assert countdown_for(JiraWriteUncertain("late", settle=20), 0, VT, REMINDER_BACKOFF_CAP) >= 20
    assert countdown_for(JiraRetryLater("429", retry_after=5000), 0, VT) == 600  # the visibility cap stays


def test_a_rejection_is_still_not_retried():
    assert countdown_for(JiraRejected("no", status=400), 0, VT) is None


@contextmanager
def attempt(task, retries: int, monkeypatch):
    """`task` running its attempt after `retries` retries; yields what it retried with."""
    retried: dict = {}

    def retry(**kwargs):
        retried.update(kwargs)
        return RuntimeError("retry")  # what `raise task.retry(...)` raises here

    monkeypatch.setattr(task, "retry", retry)
    task.push_request(retries=retries, id="t-1")
    try:
        yield retried
    finally:
        task.pop_request()


def test_a_firing_keeps_retrying_past_the_triages_limit_and_both_stop_at_their_own(worker_services, monkeypatch):
    worker_services("https://example.atlassian.net")
    error = JiraUnavailable("500")
    with attempt(triage_request, MAX_RETRIES, monkeypatch), pytest.raises(JiraUnavailable):
        triage_request.retry_for(error)
    with attempt(fire_reminder, MAX_RETRIES, monkeypatch) as retried, pytest.raises(RuntimeError):
        fire_reminder.retry_for(error)
    assert retried["max_retries"] == REMINDER_MAX_RETRIES
    with attempt(fire_reminder, REMINDER_MAX_RETRIES, monkeypatch), pytest.raises(JiraUnavailable):
        fire_reminder.retry_for(error)
