"""Explain: what the triage would decide for a webhook body, with no Jira calls.

Shared by `psw explain` and `POST /admin/explain`, so both answer alike.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from worker.config import MappingConfig
from worker.config.loader import entitlement_path_problem
from worker.entitlement.sources import EntitlementSourceUnavailable, FileSource
from worker.instants import iso_utc
from worker.policy.decision import Decision, decide
from worker.policy.entitlement import normalise_sen
from worker.policy.facts import RequestFacts, extract_facts


class ExplainError(ValueError):
    """The body or the entitlement records cannot be explained; the message says why."""


def facts_of(body: Any, config: MappingConfig) -> RequestFacts:
    issue = body.get("issue", body) if isinstance(body, dict) else None
    if not isinstance(issue, dict) or not isinstance(issue.get("fields"), dict):
        raise ExplainError("the body has no issue with fields (a comment webhook from Data Center "
                           "carries none: explain the issue's own JSON instead)")
    try:
        return extract_facts(body, config)
    except ValueError as exc:
        raise ExplainError(str(exc)) from None


def entitlement_for(facts: RequestFacts, config: MappingConfig, entitlements: Path | None):
    sen = normalise_sen(facts.sen)
    if sen is None:
        return None
    if entitlements is None:
        if config.entitlement.source != "file":
            raise ExplainError("the config's entitlement source is JSM Assets and explain makes no Jira "
                               "calls: pass --entitlements FILE to psw explain")
        missing = entitlement_path_problem(config)
        if missing is not None:
            raise ExplainError(str(missing))
        entitlements = config.resolve(config.entitlement.path)
    try:
        return FileSource(entitlements, frozenset(config.regions)).lookup(sen)
    except EntitlementSourceUnavailable as exc:
        raise ExplainError(f"cannot read the entitlement records:\n{exc}") from None


def explain(body: Any, config: MappingConfig, now: datetime,
            entitlements: Path | None = None) -> tuple[Decision, RequestFacts]:
    facts = facts_of(body, config)
    record = entitlement_for(facts, config, entitlements)
    try:
        return decide(facts, record, config, now), facts
    except (ValueError, OverflowError) as exc:
        raise ExplainError(str(exc)) from None


def as_json(decision: Decision, facts: RequestFacts, now: datetime) -> dict[str, Any]:
    pending = [{"at": at, "instant": iso_utc(instant)} for at, instant in decision.pending_reminders]
    return decision.to_dict() | {"decided_at": now.isoformat(), "pending_reminders": pending,
                                 "missing_facts": list(facts.missing)}
