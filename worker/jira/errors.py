"""What can go wrong talking to Jira, sorted by what the caller should do about it."""
from __future__ import annotations

from worker.service_errors import ServiceError


class JiraError(ServiceError):
    """Base for every Jira failure. Messages never contain credentials."""


class JiraRetryLater(JiraError):
    """Jira asked us to come back later (429, or 503 with Retry-After): retry after `retry_after` s."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class JiraUnavailable(JiraError):
    """A transient failure (5xx, timeout, connection refused): retry with backoff."""


class JiraWriteUncertain(JiraUnavailable):
    """A write sent whose answer never came (it timed out): Jira may still carry it out, later.

    The retry waits at least `settle` seconds, so that when it looks for the write (the triage's
    comment, a reminder's comment, by their markers) a write still under way at Jira has landed;
    looking sooner finds nothing, writes again, and the first one lands as a duplicate.
    """

    def __init__(self, message: str, settle: float):
        super().__init__(message)
        self.settle = settle


class JiraRejected(JiraError):
    """Jira refused the request (a 4xx other than 429): retrying the same call will not help.

    `field_errors` maps field id to Jira's message when Jira named fields (400 on an edit).
    """

    def __init__(self, message: str, status: int, error_messages: list[str] | None = None,
                 field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.error_messages = list(error_messages or [])
        self.field_errors = dict(field_errors or {})
