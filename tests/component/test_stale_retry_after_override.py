"""PS-143 (chaos run): a not entitled request's triage posted its comment and failed on the
property; its retry waited in a dead worker while an agent's priority change re-triaged the request
(a level override, which leaves a not entitled request's priority alone). The recovered retry
decided from the Severity field again, posted its comment a second time and wrote its older
property over the newer one. The override now stands in the property (`level_override`), so the
retry's re-read finds the agent's decision and writes nothing."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.http.sites import CLOUD
from worker.jira.errors import JiraError
from worker.jira.gateway import JiraGateway
from worker.triage import PROPERTY, triage

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
NOW = datetime(2026, 11, 26, 10, 5, tzinfo=timezone.utc)
BASE = f"{CLOUD.url}/rest"
ISSUE_URL = f"{BASE}/api/2/issue/PS-101"
COMMENT_URL = f"{BASE}/servicedeskapi/request/PS-101/comment"
PROPERTY_URL = f"{ISSUE_URL}/properties/{PROPERTY}"


def unknown_sen_issue() -> dict:
    issue = copy.deepcopy(json.loads((PAYLOADS / "cloud-entitled-l1.json").read_text())["issue"])
    issue["fields"]["customfield_10100"] = "SEN-99999999"  # no such support entitlement
    return issue


def run(issue, delivery_id, config, source, redis_client, **kwargs):
    return triage(issue=issue, delivery_id=delivery_id, config=config, source=source,
                  gateway=JiraGateway(CLOUD), redis_client=redis_client, now=NOW, **kwargs)


def comment_markers(calls) -> list[str]:
    return [json.loads(c.request.body)["body"].rsplit("\n", 1)[1] for c in calls]


def test_a_recovered_retry_after_an_agents_override_writes_nothing(rsps, config, source, redis_client):
    body = unknown_sen_issue()
    # 1. The created webhook's triage: edit, comment, then the property fails (the task retries).
    edit = rsps.put(ISSUE_URL, status=204)
    first_comment = rsps.post(COMMENT_URL, status=201, json={"id": "1"})
    rsps.put(PROPERTY_URL, status=500, json={"errorMessages": ["Internal server error."]})
    with pytest.raises(JiraError):
        run(body, "created-1", config, source, redis_client)
    [first_marker] = comment_markers(first_comment.calls)
    labels = [op["add"] for op in json.loads(edit.calls[0].request.body)["update"]["labels"]]
    assert "ps-not-entitled" in labels

    # 2. Meanwhile an agent sets the priority to High: the change event's triage overrides the level.
    rsps.reset()
    fields_now = {**body["fields"], "labels": labels, "priority": {"name": "High"}}
    rsps.get(ISSUE_URL, json={"key": "PS-101", "fields": fields_now, "properties": {}})
    second_comment = rsps.post(COMMENT_URL, status=201, json={"id": "2"})
    prop = rsps.put(PROPERTY_URL, status=201)
    override = run({"key": "PS-101", "fields": {}}, "priority changed to High:PS-101", config, source,
                   redis_client, read_first=True, agent_priority=True)
    assert (override.status, override.decision.severity.source, override.decision.jira_priority) == (
        "written", "override", None)  # not entitled: the priority is left as the agent set it
    [second_marker] = comment_markers(second_comment.calls)
    assert second_marker != first_marker
    stored = json.loads(prop.calls[0].request.body)

    # 3. The first triage's retry, recovered from the dead worker, runs on the created body again.
    rsps.reset()
    rsps.get(ISSUE_URL, json={"key": "PS-101", "fields": fields_now, "properties": {PROPERTY: stored}})
    retry = run(body, "created-1", config, source, redis_client)
    assert (retry.status, retry.decision_id) == ("unchanged", override.decision_id)
    assert [(c.request.method, c.request.url.split("?")[0]) for c in rsps.calls] == [("GET", ISSUE_URL)]
    assert stored["level_override"] == {"level": "L2", "priority": "High"}  # what the retry read


def test_a_recovered_retry_during_an_unfinished_override_finishes_the_override(rsps, config, source, redis_client):
    """The same, but the override's own property failed too: the property still holds nothing when
    the recovered retry runs. The progress names the agent's priority the override stands on, so the
    retry decides the override as well: it finds the override's comment and writes its property."""
    body = unknown_sen_issue()
    edit = rsps.put(ISSUE_URL, status=204)
    rsps.post(COMMENT_URL, status=201, json={"id": "1"})
    rsps.put(PROPERTY_URL, status=500, json={"errorMessages": ["Internal server error."]})
    with pytest.raises(JiraError):
        run(body, "created-1", config, source, redis_client)
    labels = [op["add"] for op in json.loads(edit.calls[0].request.body)["update"]["labels"]]

    rsps.reset()
    fields_now = {**body["fields"], "labels": labels, "priority": {"name": "High"}}
    rsps.get(ISSUE_URL, json={"key": "PS-101", "fields": fields_now, "properties": {}})
    override_comment = rsps.post(COMMENT_URL, status=201, json={"id": "2"})
    rsps.put(PROPERTY_URL, status=500, json={"errorMessages": ["Internal server error."]})
    with pytest.raises(JiraError):
        run({"key": "PS-101", "fields": {}}, "priority changed to High:PS-101", config, source,
            redis_client, read_first=True, agent_priority=True)
    posted = json.loads(override_comment.calls[0].request.body)["body"]

    # The first triage's retry, recovered: the issue has no property yet.
    rsps.reset()
    rsps.get(ISSUE_URL, json={"key": "PS-101", "fields": fields_now, "properties": {}})
    rsps.get(COMMENT_URL, json={"values": [{"id": "1", "body": "first"}, {"id": "2", "body": posted}],
                                "isLastPage": True, "size": 2, "start": 0, "limit": 50})
    prop = rsps.put(PROPERTY_URL, status=201)
    retry = run(body, "created-1", config, source, redis_client)
    assert retry.status == "written"
    assert retry.decision.severity.source == "override"
    assert [(c.request.method, c.request.url.split("?")[0]) for c in rsps.calls] == [
        ("GET", ISSUE_URL), ("GET", COMMENT_URL), ("PUT", PROPERTY_URL)]  # no comment posted
    stored = json.loads(prop.calls[0].request.body)
    assert stored["level_override"] == {"level": "L2", "priority": "High"}

    # The override's own retry then finds its decision on the issue.
    rsps.reset()
    rsps.get(ISSUE_URL, json={"key": "PS-101", "fields": fields_now, "properties": {PROPERTY: stored}})
    again = run({"key": "PS-101", "fields": {}}, "priority changed to High:PS-101", config, source,
                redis_client, read_first=True, agent_priority=True)
    assert (again.status, again.decision_id) == ("unchanged", retry.decision_id)
    assert len(rsps.calls) == 1
