"""A task that meets an exception nobody planned for: audited, counted as failed, logged once.

Retrying cannot help (the same body or answer comes back) and an exception escaping the task
would leave no trace in the audit: the task ends with a "failed" result instead, its traceback
in the log for a developer. The reconciliation sweep finds a request whose triage never
happened, so nothing is lost.
"""
from __future__ import annotations

import logging
from typing import Any

from worker.audit import AuditTrail
from worker.bodies import shorten
from worker.metrics import TASKS

log = logging.getLogger(__name__)


def failed_unexpectedly(audit: AuditTrail, task: str, kind: str, issue_key: str | None, exc: Exception,
                        **entry: Any) -> dict[str, Any]:
    """Record `exc` (for `issue_key`, when the task knows it) and return the task's result."""
    error = f"{type(exc).__name__}: {shorten(str(exc))}"
    TASKS.labels(task=task, outcome="failed").inc()
    log.error("%s %s failed on something unexpected: %s", task, issue_key or "(no issue)", error, exc_info=exc)
    if issue_key:
        audit.record(issue_key, kind, **{**entry, "outcome": "error", "error": error})
    return {"status": "failed", "issue": issue_key, "error": error}
