"""When a task should try a failed Jira call again: a pure policy, no Celery, no clock.

Countdowns stay well under the broker's visibility timeout: with the Redis broker a task held
back longer than that is delivered a second time (Celery docs, "Redis caveats"; docs/DESIGN.md
decision 4), so `cap` bounds every answer, Retry-After included.
"""
from __future__ import annotations

import random
from collections.abc import Callable

from worker.jira.errors import JiraError, JiraRetryLater, JiraUnavailable

DEFAULT_CAP = 600.0


def countdown_cap(visibility_timeout: float, preferred: float = DEFAULT_CAP) -> float:
    """The largest countdown to allow under `visibility_timeout`: `preferred`, or a quarter of it."""
    if not visibility_timeout > 0:
        raise ValueError(f"visibility timeout must be positive, got {visibility_timeout!r}")
    return min(preferred, visibility_timeout / 4)


def retry_countdown(exc: JiraError, attempt: int, *, base: float = 2.0, cap: float = DEFAULT_CAP,
                    rng: Callable[[], float] = random.random) -> float | None:
    """Seconds to wait before retry number `attempt + 1`, or None when retrying cannot help.

    `attempt` counts the retries already made (Celery's `task.request.retries`, 0 at first).
    - JiraRetryLater: Jira's own Retry-After, at most `cap`.
    - JiraUnavailable: "full jitter" backoff, uniform in [0, min(cap, base * 2**attempt)), so
      workers that failed together do not come back together; for JiraWriteUncertain (a write
      that timed out) at least its `settle` time, so that the retry sees the write if it landed.
    - JiraRejected, or any other JiraError: None.
    """
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 0:
        raise ValueError(f"attempt must be a whole number >= 0, got {attempt!r}")
    if not base > 0:
        raise ValueError(f"base must be positive, got {base!r}")
    if not cap > 0:
        raise ValueError(f"cap must be positive, got {cap!r}")
    if isinstance(exc, JiraRetryLater):
        return min(max(0.0, float(exc.retry_after)), cap)
    if isinstance(exc, JiraUnavailable):
        return max(rng() * _ceiling(attempt, base, cap), min(getattr(exc, "settle", 0.0), cap))
    return None  # JiraRejected: the same request would be refused again


def _ceiling(attempt: int, base: float, cap: float) -> float:
    # Doubling past the cap changes nothing; stopping early also avoids float overflow.
    ceiling = base
    for _ in range(attempt):
        if ceiling >= cap:
            break
        ceiling *= 2
    return min(ceiling, cap)
