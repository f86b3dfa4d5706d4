"""Has the request had its first response? Pure functions over what Jira returned.

docs/POLICY.md 5: first response = JSM's "Time to first response" SLA cycle has stopped where the site
has that SLA, else the first public comment by someone other than the reporter, else the request
reaching a resolved status. A resolved request (status category "done") needs no reminder
whatever the rest says, and a request an agent moved to a "waiting for customer" status has
been answered too.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from worker.bodies import mapping, text

WAITING, RESPONDED, RESOLVED = "waiting", "responded", "resolved"


@dataclass(frozen=True)
class Verdict:
    state: str  # WAITING, RESPONDED or RESOLVED
    evidence: str  # in words, for the audit trail

    @property
    def answered(self) -> bool:
        return self.state != WAITING


def identities(user: Any) -> frozenset[str]:
    """The ids a Jira user is known by (Cloud accountId; Data Center name and key)."""
    if not isinstance(user, Mapping):
        return frozenset()
    return frozenset(str(user[k]) for k in ("accountId", "name", "key") if user.get(k))


def status_of(fields: Mapping[str, Any]) -> tuple[str, str]:
    """(status name, status category key) from an issue's fields."""
    status = mapping(fields.get("status"))
    category = mapping(status.get("statusCategory")).get("key")
    return text(status.get("name")) or "", text(category) or ""


def resolved(fields: Mapping[str, Any]) -> Verdict | None:
    name, category = status_of(fields)
    if category == "done":
        return Verdict(RESOLVED, f"status {name or '?'} is resolved (category done)")
    return None


def by_sla(metrics: Iterable[Mapping[str, Any]], metric_name: str, cycle: int) -> Verdict | None:
    """The SLA's verdict, or None when the request has no such SLA metric."""
    wanted = metric_name.casefold()
    metric = next((m for m in metrics if str(m.get("name", "")).casefold() == wanted), None)
    if metric is None:
        return None
    completed = metric.get("completedCycles") or []
    if len(completed) >= cycle:
        return Verdict(RESPONDED, f"SLA '{metric.get('name')}' cycle {cycle} stopped")
    return Verdict(WAITING, f"SLA '{metric.get('name')}' cycle {cycle} running")


def by_comments(comments: Iterable[Mapping[str, Any]], reporter: Any) -> Verdict | None:
    """RESPONDED when a public comment (service desk API shape) is by someone other than the
    reporter; None when there is none."""
    reporter_ids = identities(reporter)
    for comment in comments:
        if comment.get("public") is not True:
            continue
        author = identities(comment.get("author"))
        if author and not author & reporter_ids:
            return Verdict(RESPONDED, f"public comment {comment.get('id', '?')} by someone other than the reporter")
    return None


def by_status(fields: Mapping[str, Any], responded_statuses: Iterable[str]) -> Verdict:
    name, _category = status_of(fields)
    if name.casefold() in {s.casefold() for s in responded_statuses}:
        return Verdict(RESPONDED, f"status {name}")
    return Verdict(WAITING, f"no response yet (status {name or '?'})")
