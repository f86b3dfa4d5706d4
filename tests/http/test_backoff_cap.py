"""Task retries back off at most BACKOFF_CAP (a reminder's at most REMINDER_BACKOFF_CAP), while
Jira's own Retry-After is honoured as given (worker/retrying.py `countdown_for`). The chaos run
found a triage waiting 120 s and a reminder due seconds later waiting 385 s: Celery counts every
retry, 429s included, so the full-jitter ceiling had doubled past minutes."""
from __future__ import annotations

import random

import redis

from worker.jira.errors import JiraRejected, JiraRetryLater, JiraUnavailable, JiraWriteUncertain
from worker.reminders.tasks import REMINDER_BACKOFF_CAP
from worker.retrying import BACKOFF_CAP, countdown_for

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


class _Task:
    """What retry_or_fail uses of a bound Celery task."""

    def __init__(self, retries: int):
        self.request = type("Request", (), {"retries": retries, "id": "t-1"})()
        self.retried_with = None

    def retry(self, **kwargs):
        self.retried_with = kwargs
        return RuntimeError("retry")  # what `raise task.retry(...)` raises here


def test_a_firing_keeps_retrying_past_the_triages_limit_and_both_stop_at_their_own():
    import pytest

    from worker.reminders.tasks import REMINDER_MAX_RETRIES
    from worker.retrying import MAX_RETRIES, retry_or_fail

    error = JiraUnavailable("500")
    triage = _Task(retries=MAX_RETRIES)
    with pytest.raises(JiraUnavailable):
        retry_or_fail(triage, "triage_request", error, 1.0)
    firing = _Task(retries=MAX_RETRIES)
    with pytest.raises(RuntimeError):
        retry_or_fail(firing, "fire_reminder", error, 1.0, max_retries=REMINDER_MAX_RETRIES)
    assert firing.retried_with["max_retries"] == REMINDER_MAX_RETRIES
    with pytest.raises(JiraUnavailable):
        retry_or_fail(_Task(retries=REMINDER_MAX_RETRIES), "fire_reminder", error, 1.0,
                      max_retries=REMINDER_MAX_RETRIES)
