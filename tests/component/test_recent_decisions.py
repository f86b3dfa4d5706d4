"""The latest decisions kept with their inputs (worker/recent_decisions.py): read back as they
were decided, bounded, and re-decided under another config by the pure policy."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.policy_helpers import CREATED, config_with, facts, record, shipped
from worker import recent_decisions
from worker.policy.decision import decide
from worker.policy.facts import Reporter
from worker.recent_decisions import DecisionInputs


def keep(client, key: str, at=CREATED, **overrides) -> DecisionInputs:
    inputs = DecisionInputs(facts(issue_key=key, **overrides), record("SEN-10000001"), None, at)
    recent_decisions.record(client, inputs, decide(inputs.facts, inputs.record, shipped(), at))
    return inputs


def test_a_decision_reads_back_with_its_inputs_as_they_were(redis_client):
    kept = keep(redis_client, "PS-1", description="Läuft nicht\nat all", extra_fields={"customfield_1": None},
                unreadable={"product": "an object without a value"},
                reporter=Reporter(account_id="a-1", email=record("SEN-10000001").admins[0], display_name="Gia"))
    [back] = recent_decisions.latest(redis_client, 10)
    assert back.inputs == kept
    assert back.outline == {"outcome": "entitled", "level": "L2", "reasons": [], "undecided": [],
                            "due": "2026-11-26T12:00:00Z", "jira_priority": "High", "customer": "Globex Corporation",
                            "region": "EMEA", "sen": "SEN-10000001",
                            "config_version": shipped().version}


def test_newest_first_one_per_issue_and_bounded(redis_client, monkeypatch):
    monkeypatch.setattr(recent_decisions, "KEEP", 3)
    for n in range(5):
        keep(redis_client, f"PS-{n}", at=CREATED + timedelta(minutes=n))
    keep(redis_client, "PS-3", at=CREATED + timedelta(minutes=9), severity_option="L1 - Production down")
    latest = recent_decisions.latest(redis_client, 10)
    assert [r.inputs.facts.issue_key for r in latest] == ["PS-3", "PS-4", "PS-2"]
    assert latest[0].outline["level"] == "L1"
    assert redis_client.hlen(recent_decisions.INPUTS) == 3
    assert [r.inputs.facts.issue_key for r in recent_decisions.latest(redis_client, 1)] == ["PS-3"]


def test_redecide_under_another_config_from_the_same_inputs(redis_client):
    inputs = keep(redis_client, "PS-1")
    [back] = recent_decisions.latest(redis_client, 1)
    assert recent_decisions.redecide(back.inputs, shipped(), inputs.record) == back.outline
    faster = config_with({"levels": {"L2": {"target": "1h"}}})
    after = recent_decisions.redecide(back.inputs, faster, inputs.record)
    assert (back.outline["due"], after["due"]) == ("2026-11-26T12:00:00Z", "2026-11-26T11:00:00Z")
    with pytest.raises(ValueError, match="region"):
        recent_decisions.redecide(back.inputs, shipped(), inputs.record.model_copy(update={"region": "MARS"}))


def test_an_entry_in_a_shape_this_code_cannot_read_is_left_out(redis_client):
    keep(redis_client, "PS-1")
    keep(redis_client, "PS-2", at=CREATED + timedelta(minutes=1))
    redis_client.zadd(recent_decisions.RECENT, {"PS-3": (CREATED + timedelta(minutes=2)).timestamp()})
    redis_client.hset(recent_decisions.INPUTS, "PS-3", '{"facts": {"issue_key": "PS-3", "colour": "blue"}}')
    redis_client.hset(recent_decisions.INPUTS, "PS-2", "not json")
    assert [r.inputs.facts.issue_key for r in recent_decisions.latest(redis_client, 10)] == ["PS-1"]
