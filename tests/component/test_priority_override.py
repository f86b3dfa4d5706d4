"""Issue 12: an agent's priority change is an explicit level override. An agent raising an L4
request to Highest used to leave ps-l4 and the L4 due time, audited `unchanged`."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import responses
import time_machine

from tests.http.sites import CLOUD
from worker import recent_decisions
from worker.jira.gateway import JiraGateway
from worker.policy.severity import LevelOverride
from worker.reminders.events import ChangeRules, body_field_id, classify
from worker.reminders.store import ReminderStore
from worker.tasks import triage_by_key
from worker.triage import PROPERTY, triage

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
CREATED = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)  # Thursday 11:00 Amsterdam
NOW = datetime(2026, 11, 26, 10, 5, tzinfo=timezone.utc)
SITE = "https://override.atlassian.net"


def l4_issue() -> dict:
    issue = copy.deepcopy(json.loads((PAYLOADS / "cloud-entitled-l1.json").read_text())["issue"])
    issue["fields"]["customfield_10101"] = {"value": "L4 - Limited impact", "id": "10304"}
    return issue


def triaged_l4(rsps, site, config, source, redis_client) -> tuple[dict, dict]:
    """The L4 request as the first triage left it: (its fields, its property)."""
    base = f"{site.url}/rest"
    edit = rsps.put(f"{base}/api/2/issue/PS-101", status=204)
    rsps.post(f"{base}/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
    prop = rsps.put(f"{base}/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    issue = l4_issue()
    first = triage(issue=issue, delivery_id="created-1", config=config, source=source,
                   gateway=JiraGateway(site), redis_client=redis_client, now=NOW)
    assert (first.status, first.decision.level, first.decision.jira_priority) == ("written", "L4", "Low")
    written = json.loads(edit.calls[0].request.body)["fields"]  # level, due, entitlement, priority Low
    fields = {**issue["fields"], **written, "labels": ["priority-support", "ps-l4"]}
    rsps.reset()
    return fields, json.loads(prop.calls[0].request.body)


def test_an_agent_raising_l4_to_highest_recomputes_level_labels_and_due(rsps, config, source, redis_client):
    fields, recorded = triaged_l4(rsps, CLOUD, config, source, redis_client)
    assert recorded["due"] == "2026-11-30T10:00:00Z"  # two business days: Monday 11:00 Amsterdam
    # The agent sets Highest; the change event queues the triage with agent_priority.
    now_fields = dict(fields, priority={"name": "Highest"})
    base = f"{CLOUD.url}/rest"
    rsps.get(f"{base}/api/2/issue/PS-101", json={"key": "PS-101", "fields": now_fields,
                                                 "properties": {PROPERTY: recorded}})
    edit = rsps.put(f"{base}/api/2/issue/PS-101", status=204)
    comment = rsps.post(f"{base}/servicedeskapi/request/PS-101/comment", status=201, json={"id": "2"})
    prop = rsps.put(f"{base}/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    result = triage(issue={"key": "PS-101", "fields": {}}, delivery_id="priority changed to Highest:PS-101",
                    config=config, source=source, gateway=JiraGateway(CLOUD), redis_client=redis_client,
                    now=NOW, read_first=True, agent_priority=True)
    assert result.status == "written"
    d = result.decision
    assert (d.level, d.requested_level, d.severity.source, d.jira_priority) == ("L1", "L1", "override", "Highest")
    sent = json.loads(edit.calls[0].request.body)
    assert sent["update"] == {"labels": [{"add": "ps-l1"}, {"remove": "ps-l4"}]}
    assert sent["fields"] == {"customfield_10110": "L1", "customfield_10111": "2026-11-26T11:00:00.000+0000"}
    assert "priority" not in sent["fields"]  # the agent's priority stays
    text = json.loads(comment.calls[0].request.body)["body"]
    assert "Requested level: L1, Production application down (an agent set the Jira priority to 'Highest')." in text
    stored = json.loads(prop.calls[0].request.body)
    assert (stored["level"], stored["severity"]["source"], stored["due"]) == ("L1", "override", "2026-11-26T11:00:00Z")

    # A later triage for another reason (say the version changed) keeps the agent's choice.
    rsps.reset()
    rsps.get(f"{base}/api/2/issue/PS-101", json={"key": "PS-101", "properties": {PROPERTY: stored}, "fields": dict(
        now_fields, labels=["priority-support", "ps-l1"], customfield_10110="L1",
        customfield_10111="2026-11-26T11:00:00.000+0000")})
    again = triage(issue={"key": "PS-101", "fields": {}}, delivery_id="version changed:PS-101", config=config,
                   source=source, gateway=JiraGateway(CLOUD), redis_client=redis_client, now=NOW, read_first=True)
    assert (again.status, again.decision.level) == ("unchanged", "L1")


def test_the_change_event_marks_an_agents_priority_change(config):
    rules = ChangeRules.from_config(config, ("Waiting for customer",))
    body = {"webhookEvent": "jira:issue_updated",
            "issue": {"key": "PS-101", "fields": {"customfield_10110": "L4", "priority": {"name": "Highest"}}},
            "changelog": {"items": [{"field": "priority", "fieldId": "priority", "fromString": "Low",
                                     "toString": "Highest"}]}}
    change = classify(body, rules, body_field_id)
    assert (change.retriage, change.agent_priority) == ("priority changed to Highest", True)
    # The triage's own edit (the level's priority) is no override.
    own = copy.deepcopy(body)
    own["changelog"]["items"][0]["toString"] = "Low"
    assert not classify(own, rules, body_field_id).relevant
    severity = {"webhookEvent": "jira:issue_updated", "issue": {"key": "PS-101", "fields": {}},
                "changelog": {"items": [{"field": "Severity", "fieldId": "customfield_10101", "toString": "L1"}]}}
    assert classify(severity, rules, body_field_id).agent_priority is False


def test_the_task_writes_schedules_and_audits_the_override(worker_services, redis_client, config, source):
    svc = worker_services(SITE)
    site = svc.settings.jira
    with responses.RequestsMock() as rsps, time_machine.travel(NOW, tick=False):
        fields, recorded = triaged_l4(rsps, site, config, source, redis_client)
        base = f"{SITE}/rest"
        rsps.get(f"{base}/api/2/issue/PS-101", json={"key": "PS-101", "fields": dict(fields, priority={"name": "Highest"}),
                                                     "properties": {PROPERTY: recorded}})
        rsps.put(f"{base}/api/2/issue/PS-101", status=204)
        rsps.post(f"{base}/servicedeskapi/request/PS-101/comment", status=201, json={"id": "2"})
        rsps.put(f"{base}/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
        out = triage_by_key.apply(args=["PS-101", "priority changed to Highest", True]).get()
    assert out["status"] == "written"
    [entry] = [e for e in svc.audit.entries("PS-101") if e["kind"] == "triage"]
    assert (entry["outcome"], entry["level"], entry["level_override"]) == (
        "written", "L1", "an agent set the Jira priority to 'Highest'")
    # Kept with what it was decided from, for the console's config preview (worker/recent_decisions.py).
    [kept] = recent_decisions.latest(redis_client, 5)
    assert (kept.inputs.facts.issue_key, kept.inputs.override, kept.outline["level"]) == (
        "PS-101", LevelOverride("L1", "Highest"), "L1")
    scheduled = ReminderStore(redis_client).scheduled("PS-101", ["50", "75", "90", "100"])
    # L1 around the clock from 10:00: 50 % at 10:30, ..., 100 % at 11:00.
    assert {code: datetime.fromtimestamp(at, timezone.utc).strftime("%H:%M") for code, (_, at) in scheduled.items()} \
        == {"50": "10:30", "75": "10:45", "90": "10:54", "100": "11:00"}
