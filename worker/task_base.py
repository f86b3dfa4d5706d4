"""The base of every Celery task (Celery's task guide, "Custom task classes"): what each task
had repeated. `shared_task(base=PswTask)` gives a task

- `self.services`: the worker's services, built once per process (worker/runtime.py);
- `self.count(outcome)`: the task metric (psw_tasks_total), labelled with the task's short name;
- `self.retry_for(exc)`: a failed service (RETRYABLE) as a retry with worker/retrying.py's
  countdown, capped under the visibility timeout, or a counted final failure once retrying cannot
  help or `max_retries` ran out; `self.again_in(countdown)`: a retry that is not counted against
  `max_retries` (a busy issue, an undecided request: their own bounds apply);
- `self.failed_unexpectedly(...)`: an exception nobody planned for (an odd shape, a bug) audited,
  counted as failed and logged once with its traceback, and the task's "failed" result.
  Retrying cannot help (the same body or answer comes back) and an exception escaping the task
  would leave no trace in the audit; the sweep finds a request whose triage never happened.

Tasks are thin and acknowledged late (docs/DESIGN.md decision 5). The countdown is our own, not
`autoretry_for`/`retry_backoff`: Jira's Retry-After and an uncertain write's settle time set it,
and a task must note the wait (its in-flight mark, a reminder's claim) before the retry is sent.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NoReturn

import redis
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from worker.bodies import shorten
from worker.metrics import TASKS
from worker.retrying import BACKOFF_CAP, MAX_RETRIES, countdown_for
from worker.runtime import Services, services
from worker.service_errors import ServiceError

log = logging.getLogger(__name__)

# What a task retries rather than records as an unexpected failure: a failed service (Jira, the
# entitlement source, the config, the chat), Redis, and a soft time limit (a hung call).
RETRYABLE = (ServiceError, redis.RedisError, SoftTimeLimitExceeded)


class PswTask(Task):
    acks_late = True
    max_retries = MAX_RETRIES
    backoff_cap = BACKOFF_CAP  # the most our own backoff waits (not Jira's Retry-After)

    @property
    def services(self) -> Services:
        return services()

    @property
    def short_name(self) -> str:
        """The task's name in metrics, logs and failure records: `triage_request`."""
        return self.name.rsplit(".", 1)[-1]

    def count(self, outcome: str) -> None:
        TASKS.labels(task=self.short_name, outcome=outcome).inc()

    def countdown(self, exc: Exception) -> float | None:
        """Seconds before the next attempt after `exc`, or None when retrying cannot help."""
        return countdown_for(exc, self.request.retries, self.services.settings.visibility_timeout, self.backoff_cap)

    def retry_for(self, exc: Exception, on_retry: Callable[[float], None] | None = None) -> NoReturn:
        """Retry after `exc` (`on_retry(countdown)` notes the wait first), or fail with it."""
        countdown = self.countdown(exc)
        if countdown is None or self.request.retries >= self.max_retries:
            self.count("failed")
            log.error("%s %s gave up: %s", self.short_name, self.request.id, exc)
            raise exc
        if on_retry is not None:
            on_retry(countdown)
        self.count("retry")
        log.warning("%s %s retrying in %.1fs: %s", self.short_name, self.request.id, countdown, exc)
        raise self.retry(exc=exc, countdown=countdown, max_retries=self.max_retries)

    def again_in(self, countdown: float) -> NoReturn:
        """Run again in `countdown` s, not counted against `max_retries`."""
        raise self.retry(countdown=countdown, max_retries=self.request.retries + 1)

    def failed_unexpectedly(self, kind: str, issue_key: str | None, exc: Exception, **entry: Any) -> dict[str, Any]:
        """Record `exc` (in `issue_key`'s `kind` audit, when the task knows the issue); the task's result."""
        error = f"{type(exc).__name__}: {shorten(str(exc))}"
        self.count("failed")
        log.error("%s %s failed on something unexpected: %s", self.short_name, issue_key or "(no issue)", error,
                  exc_info=exc)
        if issue_key:
            self.services.audit.record(issue_key, kind, **{**entry, "outcome": "error", "error": error})
        return {"status": "failed", "issue": issue_key, "error": error}
