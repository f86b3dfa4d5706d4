"""The latest triage decisions with what each was decided from, so that an edited mapping config
can be tried on them: the console's config preview re-decides them with the pure policy
(worker/policy/decision.py `decide`) and shows which would change, before and after.

A decision is kept with its inputs: the request's facts as the triage read them (the reporter's
email looked up, if it was), the entitlement record, the agent's level override, the instant it
was decided at, and its outline (outcome, level, reasons, due). Newest per issue, at most `KEEP`:

- `psw:decisions:recent`  sorted set, issue key -> the instant of its latest decision;
- `psw:decisions:inputs`  hash, issue key -> the JSON of inputs and outline;
- and each decision is counted under its config version (worker/config/live.py `versions_seen`).

Like the audit trail, this holds request data (summary, description, reporter) and never
credentials. Losing it loses only the preview's material; the next triages refill it.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from worker import decision_change
from worker.config.live import DECIDED_KEY
from worker.config.models import MappingConfig
from worker.policy.decision import Decision, decide
from worker.policy.entitlement import Entitlement
from worker.policy.facts import Reporter, RequestFacts
from worker.policy.severity import LevelOverride, override_for

RECENT = "psw:decisions:recent"
INPUTS = "psw:decisions:inputs"
KEEP = 1000

# Add one, count it under its config version, and forget the oldest beyond KEEP, in one step.
_RECORD = """
redis.call('HINCRBY', KEYS[3], ARGV[5], 1)
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local over = redis.call('ZRANGE', KEYS[1], 0, -(tonumber(ARGV[4]) + 1))
for _, key in ipairs(over) do
  redis.call('ZREM', KEYS[1], key)
  redis.call('HDEL', KEYS[2], key)
end
return #over
"""


@dataclass(frozen=True)
class DecisionInputs:
    facts: RequestFacts
    record: Entitlement | None
    override: LevelOverride | None
    now: datetime


@dataclass(frozen=True)
class Recorded:
    inputs: DecisionInputs
    outline: dict[str, Any]  # of the decision as it was made


def outline(decision: Decision) -> dict[str, Any]:
    """What the preview compares (worker/decision_change.py, as a re-triage compares), with the
    config version it was decided under."""
    return {**decision_change.summary(decision.to_dict()), "config_version": decision.config_version}


def _facts_json(facts: RequestFacts) -> dict[str, Any]:
    out = dataclasses.asdict(facts)
    out["created"] = facts.created.isoformat() if facts.created else None
    return out


def _facts_of(data: dict[str, Any]) -> RequestFacts:
    data = dict(data)
    data["created"] = datetime.fromisoformat(data["created"]) if data.get("created") else None
    data["reporter"] = Reporter(**data["reporter"]) if data.get("reporter") else None
    data["missing"] = tuple(data.get("missing") or ())
    return RequestFacts(**data)


def record(client, inputs: DecisionInputs, decision: Decision) -> None:
    entry = {"facts": _facts_json(inputs.facts),
             "record": inputs.record.model_dump(mode="json") if inputs.record else None,
             "override": dataclasses.asdict(inputs.override) if inputs.override else None,
             "now": inputs.now.isoformat(), "outline": outline(decision)}
    client.eval(_RECORD, 3, RECENT, INPUTS, DECIDED_KEY, inputs.facts.issue_key, inputs.now.timestamp(),
                json.dumps(entry, separators=(",", ":"), ensure_ascii=False), KEEP, decision.config_version)


def latest(client, count: int) -> list[Recorded]:
    """The latest `count` decisions, newest first (one per issue)."""
    keys = client.zrevrange(RECENT, 0, max(0, count - 1))
    if not keys:
        return []
    out = []
    for raw in client.hmget(INPUTS, keys):
        if raw is None:
            continue
        try:
            out.append(_recorded(json.loads(raw)))
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # kept by another version of this code in another shape: no material, not an error
    return out


def _recorded(entry: dict[str, Any]) -> Recorded:
    override = entry.get("override")
    return Recorded(DecisionInputs(
        facts=_facts_of(entry["facts"]),
        record=Entitlement.model_validate(entry["record"]) if entry.get("record") else None,
        override=LevelOverride(**override) if override else None,
        now=datetime.fromisoformat(entry["now"])), dict(entry["outline"]))


def redecide(inputs: DecisionInputs, config: MappingConfig, record: Entitlement | None) -> dict[str, Any]:
    """The outline of the decision `config` makes from the same facts at the same instant, with
    `record` for the SEN. An agent's override stands as the priority `config` maps it to.
    ValueError when `config` cannot decide it (say, the record's region is not in it)."""
    override = override_for(inputs.override.priority, config) if inputs.override else None
    return outline(decide(inputs.facts, record, config, inputs.now, override))
