"""Re-triage on demand (`psw retriage`, `POST /admin/issues/<KEY>/retriage`, the console's button,
on-boarding): decide a request again from the issue and the entitlement source as they are now.

Why it exists: after an admin fixes a customer's entitlement record, a request already marked
not entitled stays so, and resending its webhook is answered `duplicate` (the delivery dedupe,
worker/deliveries.py, does its job). A re-triage bypasses the dedupe deliberately: it queues the
normal `triage_by_key` task, whose per-issue lock (worker/triage_guard.py), resumable progress and
decision ids keep every exactly-once guarantee, and whose scheduling (reminders, and whatever
else a triage schedules) comes with it. The task reads the source without its cache, says in its
comment who asked and what changed ("changed from L3 to L1", worker/decision_change.py), posts no
comment when nothing material changed, and in shadow mode writes nothing (audited `shadow`).

The dry run (`preview`) reads the issue and decides with the same code, writing nothing. Every
request, dry or not, is audited (`kind: retriage`) with who asked and the before/after.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from worker import clock, decision_change, inflight, unstarted
from worker.bodies import shorten
from worker.entitlement.sources import fresh
from worker.jira.errors import JiraRejected
from worker.policy.entitlement import normalise_sen
from worker.policy.facts import extract_facts
from worker.queueing import task_message
from worker.queues import QUEUE, TRIAGE_BY_KEY
from worker.reminders.plan import RecordedDecision
from worker.reminders.reconcile import _cf, _scoped
from worker.triage import decision_marker, decision_id, plan_writes, redecide

REASON = "retriage"
ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]*-\d+")


class RetriageError(ValueError):
    """Bad input or an issue that cannot be re-triaged; the message names the problem."""


class StalePreview(RetriageError):
    """The decision differs from the dry run the person confirmed: nothing was queued."""

    def __init__(self, message: str, fresh_preview: "Preview"):
        super().__init__(message)
        self.preview = fresh_preview


@dataclass
class Preview:
    """A re-triage's dry run: the decision the issue holds and the one it would get now."""

    issue_key: str
    before: dict[str, Any] | None
    after: dict[str, Any]
    changes: list[str]
    comment: str | None  # the comment the re-triage would post (None: none, nothing material changed)
    decision_id: str
    unchanged: bool  # the issue already holds exactly this decision: the re-triage writes nothing
    queued: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"issue": self.issue_key, "before": self.before, "after": self.after, "changes": self.changes,
                "comment": self.comment, "decision_id": self.decision_id, "unchanged": self.unchanged,
                "queued": self.queued, **self.extra}

    def line(self) -> str:
        """One line for a terminal: key, before -> after, what changed."""
        said = "; ".join(self.changes) if self.changes else "no change"
        return (f"{self.issue_key}: {decision_change.describe(self.before)} -> {decision_change.describe(self.after)}"
                f" ({said})")


def issue_key(raw: str) -> str:
    """A well-formed issue key, else RetriageError naming it."""
    if not isinstance(raw, str) or not ISSUE_KEY.fullmatch(raw.strip()):
        raise RetriageError(f"{shorten(repr(raw))} is not an issue key such as PS-123")
    return raw.strip()


def preview(svc, key: str, requested_by: str, now: datetime | None = None) -> Preview:
    """The dry run of a re-triage of `key`: reads only. RetriageError for an issue Jira does not
    have (or will not show); other Jira errors propagate."""
    key = issue_key(key)
    now = now or clock.now()
    config = svc.config()
    try:
        decision, recorded = redecide(issue_key=key, config=config, source=fresh(svc.entitlements()),
                                      gateway=svc.gateway(), redis_client=svc.redis, now=now)
    except JiraRejected as exc:
        if exc.status in (403, 404):
            raise RetriageError(f"{key}: Jira has no such issue, or the automation account may not see it "
                                f"(HTTP {exc.status})") from None
        raise
    before = decision_change.summary(recorded)
    after = decision_change.summary(decision.to_dict())
    changes = decision_change.changes(before, after)
    did = decision_id(decision)
    comment = None
    if changes:
        preface = decision_change.preface(requested_by, changes)
        comment = plan_writes(decision, did, {}, "-", now, preface).comment.removesuffix("\n" + decision_marker(did))
    return Preview(key, before, after, changes, comment, did, unchanged=RecordedDecision.parse(recorded).decision_id == did)


def queue(svc, celery_app, key: str, requested_by: str) -> None:
    """Queue the re-triage task, with its queued mark in the same transaction (worker/unstarted.py:
    a worker that dies holding the message does not lose it)."""
    args = [key, REASON, False, requested_by]
    pipe = svc.redis.pipeline(transaction=True)
    pipe.lpush(QUEUE, task_message(celery_app, TRIAGE_BY_KEY, args, QUEUE, issue=key))
    pipe.zadd(unstarted.KEY, {inflight.member(TRIAGE_BY_KEY, args): clock.now().timestamp()})
    pipe.execute()


def request(svc, celery_app, key: str, requested_by: str, *, dry_run: bool, via: str,
            expect_decision: str | None = None) -> Preview:
    """A re-triage asked for by `requested_by` through `via` (cli, admin-api, console, onboarding):
    its dry run, audited; unless `dry_run`, the task queued. `expect_decision`: the decision id of
    the dry run the person confirmed (the console); StalePreview when it is no longer the one."""
    result = preview(svc, key, requested_by)
    if expect_decision is not None and expect_decision != result.decision_id and not dry_run:
        raise StalePreview(f"{result.issue_key}: the decision changed since the dry run; check it again", result)
    if not dry_run:
        queue(svc, celery_app, result.issue_key, requested_by)
        result.queued = True
    svc.audit.record(result.issue_key, "retriage", outcome="dry_run" if dry_run else "queued",
                     requested_by=requested_by, via=via, before=result.before, after=result.after,
                     changes=result.changes, shadow=svc.settings.shadow_mode)
    return result


def sen_jql(config, sen: str, settings) -> str:
    """Open requests whose SEN field names `sen` (the search's answer is checked field by field)."""
    return _scoped(f'{_cf(config.fields.sen)} ~ "{sen}" AND statusCategory != Done', settings) + " ORDER BY created ASC"


def normal_sen(raw: str) -> str:
    sen = normalise_sen(raw) if isinstance(raw, str) else None
    if sen is None:
        raise RetriageError(f"{shorten(repr(raw))} is not a SEN such as SEN-12345678")
    return sen


def open_requests_of(svc, sen: str) -> list[str]:
    """The keys of the open requests that carry `sen`, and no other: Jira's text search may match
    more, so each hit's SEN field is read and compared."""
    config = svc.config()
    sen = normal_sen(sen)
    hits = svc.gateway().search(sen_jql(config, sen, svc.settings.reminders), fields=[config.fields.sen],
                                limit=svc.settings.reminders.reconcile_max_issues)
    return [hit["key"] for hit in hits if isinstance(hit.get("key"), str)
            and normalise_sen(extract_facts(hit, config).sen or "") == sen]


def keys_of_jql(svc, jql: str) -> list[str]:
    """The keys a JQL query finds (at most RECONCILE_MAX_ISSUES); RetriageError with Jira's
    message for a query Jira refuses."""
    if not jql.strip():
        raise RetriageError("the JQL query is empty")
    try:
        hits = svc.gateway().search(jql, fields=["created"], limit=svc.settings.reminders.reconcile_max_issues)
    except JiraRejected as exc:
        if exc.status == 400:
            said = "; ".join(exc.error_messages) or str(exc)
            raise RetriageError(f"Jira refused the JQL query: {shorten(said)}") from None
        raise
    return [hit["key"] for hit in hits if isinstance(hit.get("key"), str)]
