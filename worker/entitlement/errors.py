"""The one error an entitlement source raises, in a module of its own: the sources (sources.py)
build the Assets source (worker/jira/assets.py), and that source raises this error, so neither
imports the other both ways."""
from __future__ import annotations

from worker.service_errors import ServiceError


class EntitlementSourceUnavailable(ServiceError):
    """The source cannot answer now; retry later. The message never contains credentials.

    `retry_after` (seconds) is set when the source said how long to wait (a 429 from Assets).
    """

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after
