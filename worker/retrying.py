"""How every task turns a failure into a Celery retry or a final failure (docs/DESIGN.md decision 5).

Retry-After is honoured as a countdown, never by sleeping; countdowns stay well under the Redis
visibility timeout (`countdown_cap`), so a waiting task is not handed to a second worker.
"""
from __future__ import annotations

import logging
from typing import Callable, NoReturn

from worker.jira.errors import JiraError, JiraUnavailable
from worker.jira.retry import countdown_cap, retry_countdown
from worker.metrics import TASKS

log = logging.getLogger(__name__)

MAX_RETRIES = 20


def countdown_for(exc: Exception, attempt: int, visibility_timeout: int) -> float | None:
    """Seconds to wait before the next attempt, or None when retrying cannot help."""
    cap = countdown_cap(visibility_timeout)
    if isinstance(exc, JiraError):
        return retry_countdown(exc, attempt, cap=cap)
    # Anything else we retry (an entitlement source, Redis, a time limit) backs off like a 5xx,
    # and waits at least as long as the failing service asked.
    countdown = retry_countdown(JiraUnavailable(str(exc)), attempt, cap=cap)
    asked = getattr(exc, "retry_after", None)
    return max(countdown, min(float(asked), cap)) if asked else countdown


def retry_or_fail(task, name: str, exc: Exception, countdown: float | None,
                  on_retry: Callable[[float], None] | None = None) -> NoReturn:
    if countdown is None or task.request.retries >= MAX_RETRIES:
        TASKS.labels(task=name, outcome="failed").inc()
        log.error("%s %s gave up: %s", name, task.request.id, exc)
        raise exc
    if on_retry is not None:
        on_retry(countdown)
    TASKS.labels(task=name, outcome="retry").inc()
    log.warning("%s %s retrying in %.1fs: %s", name, task.request.id, countdown, exc)
    raise task.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES)
