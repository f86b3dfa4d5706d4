"""When a task tries a failed call again (docs/DESIGN.md decision 5): a pure policy, no Celery.

Retry-After is honoured as a countdown, never by sleeping; countdowns stay well under the Redis
visibility timeout (`countdown_cap`), so a waiting task is not handed to a second worker. The
base task (worker/task_base.py) turns the countdown into a Celery retry.
"""
from __future__ import annotations

from worker.jira.errors import JiraError, JiraRetryLater, JiraUnavailable
from worker.jira.retry import countdown_cap, retry_countdown

MAX_RETRIES = 20
# Our own backoff (5xx, timeouts, Redis; not Jira's Retry-After, honoured as given) waits at most
# this long. Celery counts every retry of a task, 429s included, so with the cap at 600 s a
# triage that met a few 429s and 500s on its way waited minutes after one more 500 (the chaos
# run: 120 s for a triage, 385 s for a reminder due seconds later). 20 retries still span
# 10-20 minutes of a Jira that keeps failing, then the sweep takes over.
BACKOFF_CAP = 60.0


def countdown_for(exc: Exception, attempt: int, visibility_timeout: int,
                  backoff_cap: float = BACKOFF_CAP) -> float | None:
    """Seconds to wait before the next attempt, or None when retrying cannot help."""
    cap = countdown_cap(visibility_timeout)
    if isinstance(exc, JiraRetryLater):
        return retry_countdown(exc, attempt, cap=cap)
    backoff = min(cap, backoff_cap)
    if isinstance(exc, JiraError):
        countdown = retry_countdown(exc, attempt, cap=backoff)
        # An uncertain write waits its settle time whatever the backoff cap (JiraWriteUncertain).
        settle = getattr(exc, "settle", 0.0)
        return countdown if countdown is None else max(countdown, min(settle, cap))
    # Anything else we retry (an entitlement source, Redis, a time limit) backs off like a 5xx,
    # and waits at least as long as the failing service asked.
    countdown = retry_countdown(JiraUnavailable(str(exc)), attempt, cap=backoff)
    asked = getattr(exc, "retry_after", None)
    return max(countdown, min(float(asked), cap)) if asked else countdown
