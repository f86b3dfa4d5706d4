"""What a new decision changes against the one an issue holds, in words an agent reads.

A re-triage (worker/retriage.py) says what changed ("changed from L3 to L1", "now entitled:
L1"), not only the new state; its comment is posted only when something an agent acts on
changed (outcome, level, due time, reasons, customer, region, priority). The summaries are built
from the decision as JSON (`Decision.to_dict()` or the `priority-support` property), so the
recorded and the new decision are compared alike.
"""
from __future__ import annotations

from typing import Any

from worker.reminders.plan import RecordedDecision

# What an agent acts on; a new config version or comment wording alone is no change.
MATERIAL = ("outcome", "level", "due", "reasons", "undecided", "customer", "region", "jira_priority")


def summary(decision: dict[str, Any] | None) -> dict[str, Any] | None:
    """The material part of a decision (a property or `Decision.to_dict()`); None for none."""
    if not decision:
        return None
    recorded = RecordedDecision.parse(decision)
    return {"outcome": recorded.outcome or ("entitled" if recorded.entitled else "not_entitled"),
            "level": recorded.level, "due": recorded.due_text,
            "reasons": list(recorded.reasons), "undecided": list(recorded.undecided),
            "customer": recorded.customer, "region": recorded.region,
            "jira_priority": recorded.jira_priority, "sen": recorded.sen}


def describe(state: dict[str, Any] | None) -> str:
    """One decision in a few words: "L1 (entitled)", "not entitled (SEN_UNKNOWN)"."""
    if state is None:
        return "never triaged"
    if state["outcome"] == "entitled":
        return f"{state['level']} (entitled)"
    if state["outcome"] == "not_entitled":
        return f"not entitled ({', '.join(state['reasons'])})"
    return f"cannot decide ({', '.join(state['undecided'])})"


def changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """The material changes from `before` to `after` (summaries), one line each; [] for none."""
    if before is None:
        return [f"first triage: {describe(after)}"]
    if all(before.get(k) == after.get(k) for k in MATERIAL):
        return []
    lines: list[str] = []
    if before["outcome"] != after["outcome"]:
        if after["outcome"] == "entitled":
            lines.append(f"now entitled: {after['level']} (was {describe(before)})")
        elif before["outcome"] == "entitled":
            lines.append(f"no longer entitled: {describe(after)} (was {before['level']})")
        else:
            lines.append(f"changed from {describe(before)} to {describe(after)}")
    else:
        if before["level"] != after["level"]:
            lines.append(f"changed from {before['level']} to {after['level']}")
        for key, what in (("reasons", "reasons"), ("undecided", "not judged")):
            if before[key] != after[key]:
                lines.append(f"{what} changed from {', '.join(before[key]) or 'none'} to {', '.join(after[key]) or 'none'}")
        if before["due"] != after["due"] and after["due"]:
            lines.append(f"due changed from {before['due'] or 'none'} to {after['due']}")
        if before["jira_priority"] != after["jira_priority"] and before["level"] == after["level"]:
            lines.append(f"priority changed from {before['jira_priority'] or 'none'} to {after['jira_priority'] or 'none'}")
    for key in ("customer", "region"):
        if before[key] != after[key]:
            lines.append(f"{key} changed from {before[key] or 'none'} to {after[key] or 'none'}")
    return lines


def preface(requested_by: str, lines: list[str]) -> str:
    """The first paragraph of a re-triage's comment: who asked and what changed."""
    return f"Priority Support re-triage (asked by {requested_by}): {'; '.join(lines)}.\n\n"
