"""What a chaos run (`python -m bench chaos`) counts, from the Jira simulator's recorded state only:
the issues, their `priority-support` property and their comments as the simulator holds them at
the end (never from the service's own Redis, which is what the run attacks). Pure functions.

- untriaged: a request with no `priority-support` property, or with no triage comment;
- duplicate triage comments: internal comments carrying the same decision marker more than once;
- reminders: what each request should have had is computed from its creation time, the level and
  region its decision recorded, and the mapping config (`SlaPolicy.due`), up to a cutoff; what it
  had is the reminder comments' markers (`psw-reminder:c<cycle>:t<code>`). The policy
  (docs/POLICY.md, reminders) fires only the highest threshold already passed when a triage or a
  firing comes late, so an expected threshold without a comment is
  - superseded by a late triage when a higher threshold's instant had passed before the triage
    comment was posted (what the policy asks);
  - superseded by a late firing when a higher threshold was posted: its own firing came after
    the next threshold's instant (the policy drops it then; a sign of lateness, counted apart);
  - missed otherwise: nothing made up for it.
  Doubled: one threshold's comment twice or more; unexpected: a reminder comment for a request
  with no such threshold; early: posted before its instant; late: posted more than `late_after`
  seconds after it.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from worker.policy.decision import PROPERTY
from worker.reminders.actions import MARKER_PREFIX
from worker.reminders.plan import threshold_code
from worker.triage import DECISION_MARKER_PREFIX

UTC = timezone.utc
_DECISION = re.compile(re.escape(DECISION_MARKER_PREFIX) + r"([0-9a-f]+)\)")
_REMINDER = re.compile(re.escape(MARKER_PREFIX) + r"c(\d+):t([0-9.]+)")


@dataclass(frozen=True)
class Comment:
    body: str
    public: bool
    created: datetime


@dataclass(frozen=True)
class IssueState:
    key: str
    created: datetime
    decision: Mapping[str, Any] | None  # the priority-support property
    comments: tuple[Comment, ...]


def _instant(raw: Any) -> datetime:
    if isinstance(raw, Mapping) and "epochMillis" in raw:
        return datetime.fromtimestamp(raw["epochMillis"] / 1000, UTC)
    text = str(raw)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif re.search(r"[+-]\d{4}$", text):  # Jira's 2026-12-03T15:00:00.000+0000
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text).astimezone(UTC)


def issue_state(raw: Mapping[str, Any]) -> IssueState:
    """One issue as the simulator's GET /_sim/issues/<key> shows it."""
    comments = tuple(Comment(str(c.get("body") or ""), c.get("public") is True, _instant(c.get("created")))
                     for c in raw.get("comments") or ())
    decision = (raw.get("properties") or {}).get(PROPERTY)
    return IssueState(raw["key"], _instant(raw["fields"]["created"]), decision, comments)


def triage_comments(issue: IssueState) -> Counter[str]:
    """Decision id -> how many internal comments carry its marker."""
    return Counter(m.group(1) for c in issue.comments if not c.public for m in [_DECISION.search(c.body)] if m)


def reminder_comments(issue: IssueState) -> dict[tuple[int, str], list[datetime]]:
    """(cycle, threshold code) -> when each internal comment carrying its marker was posted."""
    found: dict[tuple[int, str], list[datetime]] = {}
    for c in issue.comments:
        m = _REMINDER.search(c.body)
        if m and not c.public:
            found.setdefault((int(m.group(1)), m.group(2)), []).append(c.created)
    return found


def decided_at(issue: IssueState) -> datetime | None:
    """Since when the decision now on the issue governs its reminders: the `triaged_at` its
    property records (the firing reads the property, written after the comment, so until then
    the previous decision's instants hold), else when its comment was posted."""
    decision = issue.decision or {}
    if decision.get("triaged_at"):
        try:
            return _instant(decision["triaged_at"])
        except ValueError:
            pass
    did = decision.get("decision_id")
    if not did:
        return None
    return min((c.created for c in issue.comments if not c.public
                for m in [_DECISION.search(c.body)] if m and m.group(1) == did), default=None)


def expected_reminders(issue: IssueState, config, cutoff: datetime) -> dict[tuple[int, str], datetime]:
    """The reminders the request should have had by `cutoff`: (cycle, code) -> instant."""
    decision = issue.decision
    if not decision or decision.get("entitled") is not True or not decision.get("level"):
        return {}
    times = config.sla_policy().due(decision["level"], decision["region"], issue.created,
                                    decision.get("time_zone"))
    cycle = decision.get("sla_cycle", 1)
    instants = {**times.reminders, 1.0: times.due}
    wanted = {r.at for r in config.reminders}
    return {(cycle, threshold_code(at)): instant for at, instant in instants.items()
            if at in wanted and instant <= cutoff}


@dataclass
class Counts:
    requests: int = 0
    untriaged: list[str] = field(default_factory=list)  # no property
    no_triage_comment: list[str] = field(default_factory=list)
    duplicate_comments: list[tuple[str, str, int]] = field(default_factory=list)  # (key, decision, copies)
    redecided: list[str] = field(default_factory=list)  # more than one decision id: informational
    reminders_expected: int = 0
    reminders_fired: int = 0
    missed: list[tuple[str, str]] = field(default_factory=list)  # (key, code)
    superseded_by_triage: list[tuple[str, str]] = field(default_factory=list)
    superseded_by_firing: list[tuple[str, str]] = field(default_factory=list)
    doubled: list[tuple[str, str, int]] = field(default_factory=list)
    unexpected: list[tuple[str, str]] = field(default_factory=list)
    early: list[tuple[str, str, float]] = field(default_factory=list)  # posted before its instant
    lateness: list[float] = field(default_factory=list)  # seconds from max(instant, triage) to first comment
    late: list[tuple[str, str, float]] = field(default_factory=list)
    triage_seconds: list[float] = field(default_factory=list)  # creation to the first triage comment
    triaged_late: list[tuple[str, float]] = field(default_factory=list)  # over `late_after`

    @property
    def lost(self) -> int:
        return len(set(self.untriaged) | set(self.no_triage_comment))


def count(issues: Iterable[IssueState], config, cutoff: datetime, late_after: float = 60.0,
          early_slack: float = 1.0) -> Counts:
    """Counts over every issue; `cutoff`: reminders due after it are not expected yet (one posted
    anyway counts as unexpected only when it was posted before its instant, see `early`)."""
    out = Counts()
    for issue in issues:
        out.requests += 1
        if issue.decision is None:
            out.untriaged.append(issue.key)
        markers = triage_comments(issue)
        if not markers:
            out.no_triage_comment.append(issue.key)
        out.duplicate_comments += [(issue.key, did, n) for did, n in sorted(markers.items()) if n > 1]
        if len(markers) > 1:
            out.redecided.append(issue.key)
        expected = expected_reminders(issue, config, cutoff)
        everything = expected_reminders(issue, config, datetime.max.replace(tzinfo=UTC))
        fired = reminder_comments(issue)
        out.reminders_expected += len(expected)
        out.reminders_fired += sum(len(v) for v in fired.values())
        first_triage = min((c.created for c in issue.comments if not c.public and _DECISION.search(c.body)),
                           default=None)
        # The reminders are judged against the decision on the issue; one an earlier decision fired
        # (a re-triage after an agent's change) keeps its code fired, and is not "early".
        triaged_at = decided_at(issue) or first_triage
        if first_triage is not None:
            took = (first_triage - issue.created).total_seconds()
            out.triage_seconds.append(took)
            if took > late_after:
                out.triaged_late.append((issue.key, round(took, 1)))
        for (cycle, code), instant in sorted(expected.items()):
            if (cycle, code) in fired:
                continue
            higher = [(k, at) for k, at in everything.items() if k[0] == cycle and float(k[1]) > float(code)]
            if triaged_at is not None and any(at <= triaged_at for _, at in higher):
                out.superseded_by_triage.append((issue.key, code))
            elif any(k in fired for k, _ in higher):
                out.superseded_by_firing.append((issue.key, code))
            else:
                out.missed.append((issue.key, code))
        for (cycle, code), posted in sorted(fired.items()):
            if len(posted) > 1:
                out.doubled.append((issue.key, code, len(posted)))
            instant = everything.get((cycle, code))
            if instant is None:
                out.unexpected.append((issue.key, code))
                continue
            first = min(posted)
            delay = (first - instant).total_seconds()
            if delay < -early_slack and (triaged_at is None or first >= triaged_at):
                out.early.append((issue.key, code, delay))
            if (cycle, code) in expected:
                # A threshold already passed when the request was triaged fires at the triage: its
                # lateness is the triage's (counted there), so it counts from the triage comment.
                since = max(instant, triaged_at) if triaged_at is not None else instant
                late = (first - since).total_seconds()
                out.lateness.append(late)
                if late > late_after:
                    out.late.append((issue.key, code, round(late, 1)))
    return out


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]
