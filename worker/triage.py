"""Triage of a created request: read the facts, decide, write only what differs.

Interim decision (until the mapping config lands): the Jira priority gives the level, the level
gives the labels. The orchestration (read once, compare with the recorded decision, one edit and
one property write) is the lasting part.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from worker.jira.gateway import JiraGateway

log = logging.getLogger(__name__)

PROPERTY = "priority-support"
LEVEL_BY_PRIORITY = {"Highest": "L1", "High": "L2", "Medium": "L3", "Low": "L4", "Lowest": "L4"}
DEFAULT_LEVEL = "L4"


@dataclass(frozen=True)
class TriageOutcome:
    issue_key: str
    wrote: bool
    decision: dict


def decide_from_priority(priority_name: str | None) -> dict:
    level = LEVEL_BY_PRIORITY.get(priority_name or "", DEFAULT_LEVEL)
    return {"level": level, "labels": ["priority-support", f"ps-{level.lower()}"],
            "source": f"jira priority {priority_name or '(none)'}"}


def triage_issue(gateway: JiraGateway, issue_key: str, delivery_id: str) -> TriageOutcome:
    issue = gateway.get_issue(issue_key, fields=["priority", "labels"], properties=[PROPERTY])
    fields = issue.get("fields") or {}
    decision = decide_from_priority((fields.get("priority") or {}).get("name"))
    recorded = (issue.get("properties") or {}).get(PROPERTY) or {}
    if recorded.get("decision") == decision:
        log.info("triage %s: decision already on the issue, nothing to write", issue_key)
        return TriageOutcome(issue_key, wrote=False, decision=decision)
    missing = [label for label in decision["labels"] if label not in (fields.get("labels") or [])]
    if missing:
        gateway.edit_issue(issue_key, update={"labels": [{"add": label} for label in missing]})
    gateway.set_property(issue_key, PROPERTY, {"decision": decision, "delivery": delivery_id})
    log.info("triage %s: wrote level %s", issue_key, decision["level"])
    return TriageOutcome(issue_key, wrote=True, decision=decision)
