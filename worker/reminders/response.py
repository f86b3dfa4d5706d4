"""Has the request had its first response? Pure functions over what Jira returned.

docs/POLICY.md 5: first response = JSM's "Time to first response" SLA cycle has stopped where the site
has that SLA, else the first public comment by an agent, else the request reaching a resolved
status. An agent is told from a customer as the site allows: the author's account type as Cloud
names it ("atlassian" is an agent or licensed user, "customer" a portal customer, "app" an app),
carried or looked up (Data Center: a licensed user or not); else the author is neither the
reporter nor a request participant. An author none of these can place counts as an agent, as
before.
A resolved request (status category "done") needs no reminder whatever the rest says, and a
request an agent moved to a "waiting for customer" status has been answered too.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


AccountTypeOf = Callable[[Mapping[str, Any]], "str | None"]
Participants = Callable[[], Any]  # the request participants field's value, read when first needed


def participant_identities(value: Any) -> frozenset[str]:
    """The ids of the users in a request participants field (a list of users; anything else: none)."""
    if not isinstance(value, list):
        return frozenset()
    return frozenset().union(*(identities(user) for user in value))


def author_kind(author: Any, reporter_ids: frozenset[str], participants: Participants | None = None,
                account_type_of: AccountTypeOf | None = None) -> tuple[bool, str]:
    """(is an agent, in words). The reporter never answers their own request; the account type,
    carried or looked up, decides next (an agent added as a participant is still an agent);
    else a request participant is a customer; an author none of this places counts as an agent,
    as it did before authors were told apart."""
    ids = identities(author)
    if ids & reporter_ids:
        return False, "the reporter"
    account_type = text(mapping(author).get("accountType"))
    if account_type is None and account_type_of is not None and ids:
        account_type = account_type_of(mapping(author))
    if account_type == "atlassian":
        return True, "an agent"
    if account_type == "customer":
        return False, "a customer"
    if account_type == "app":
        return False, "an app"
    if participants is not None and ids & participant_identities(participants()):
        return False, "a request participant"
    return True, "someone other than the reporter and the request participants"


def by_comments(comments: Iterable[Mapping[str, Any]], reporter: Any, participants: Participants | None = None,
                account_type_of: AccountTypeOf | None = None) -> Verdict | None:
    """RESPONDED when a public comment (service desk API shape) is by an agent (`author_kind`);
    None when there is none. `account_type_of` looks an author's account type up when the
    comment does not carry it (the service desk API's authors do not)."""
    reporter_ids = identities(reporter)
    if participants is not None:
        participants = _once(participants)
    for comment in comments:
        if comment.get("public") is not True or not identities(comment.get("author")):
            continue
        agent, who = author_kind(comment.get("author"), reporter_ids, participants, account_type_of)
        if agent:
            return Verdict(RESPONDED, f"public comment {comment.get('id', '?')} by {who}")
    return None


def _once(read: Participants) -> Participants:
    value: list[Any] = []

    def cached() -> Any:
        if not value:
            value.append(read())
        return value[0]
    return cached


def by_status(fields: Mapping[str, Any], responded_statuses: Iterable[str]) -> Verdict:
    name, _category = status_of(fields)
    if name.casefold() in {s.casefold() for s in responded_statuses}:
        return Verdict(RESPONDED, f"status {name}")
    return Verdict(WAITING, f"no response yet (status {name or '?'})")
