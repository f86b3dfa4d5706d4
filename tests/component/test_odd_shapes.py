"""Odd shapes reaching the worker: read as "not there", and what still fails is audited and counted."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
import time_machine
from prometheus_client import REGISTRY

from worker.jira.gateway import JiraGateway
from worker.reminders.tasks import request_changed
from worker.settings import JiraSite
from worker.tasks import triage_request

PAYLOAD = Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "cloud-entitled-l1.json"
SITE = "https://odd.atlassian.net"


def failed(task: str) -> float:
    return REGISTRY.get_sample_value("psw_tasks_total", {"task": task, "outcome": "failed"}) or 0.0


def store(redis_client, delivery_id: str, body) -> str:
    redis_client.set(f"psw:delivery:{delivery_id}:body", json.dumps(body))
    return delivery_id


@pytest.fixture
def services(worker_services):
    with time_machine.travel("2026-11-26T10:01:00Z", tick=False):
        yield worker_services(SITE)


@responses.activate
def test_an_unreadable_created_is_audited_and_counted_not_a_traceback(services, redis_client):
    body = json.loads(PAYLOAD.read_text())
    body["issue"]["fields"]["created"] = {"odd": True}
    before = failed("triage_request")
    result = triage_request.apply(args=[store(redis_client, "d-odd", body)], throw=True).get()
    assert result["status"] == "failed" and "not a Jira timestamp" in result["error"]
    assert failed("triage_request") == before + 1
    [entry] = services.audit.entries("PS-101")
    assert (entry["outcome"], entry["delivery"]) == ("error", "d-odd")
    assert "not a Jira timestamp" in entry["error"]
    assert len(responses.calls) == 0  # nothing written on a guess


@pytest.mark.parametrize("issue", ["PS-101", ["PS-101"], {"key": {"id": 1}}])
def test_a_stored_body_without_a_readable_issue_key_is_invalid(services, redis_client, issue):
    body = {"webhookEvent": "jira:issue_created", "issue": issue}
    assert triage_request.apply(args=[store(redis_client, "d-key", body)], throw=True).get() == {"status": "invalid"}


@pytest.mark.parametrize("body", [
    {"webhookEvent": "jira:issue_updated", "issue": {"key": "PS-1", "fields": {"status": ["Done"]}},
     "changelog": {"items": [{"fieldId": "status", "toString": {"name": "Done"}}]}},
    {"webhookEvent": "jira:issue_updated", "issue": {"key": "PS-1", "fields": []}, "changelog": {"items": 7}},
    {"webhookEvent": "jira:issue_updated", "issue": {"key": "PS-1"}, "changelog": "status"},
    {"webhookEvent": "comment_created", "issue": ["PS-1"], "comment": {"self": 12, "body": None}},
], ids=["status as a list", "items a number", "changelog a string", "issue a list"])
def test_change_events_of_odd_shapes_are_answered(services, redis_client, body):
    before = failed("request_changed")
    result = request_changed.apply(args=[store(redis_client, "d-change", body)], throw=True).get()
    assert result["status"] == "ignored"
    assert failed("request_changed") == before


@responses.activate
def test_jira_lists_holding_odd_items_keep_only_their_objects():
    gateway = JiraGateway(JiraSite(url=SITE, deployment="cloud", email="bot@example.com", api_token="t"))
    responses.get(f"{SITE}/rest/servicedeskapi/request/PS-1/comment",
                  json={"values": [{"id": "1", "body": "hi"}, "junk", 3, None], "isLastPage": True})
    responses.get(f"{SITE}/rest/api/2/field", json=[{"id": "summary"}, ["odd"]])
    responses.post(f"{SITE}/rest/api/2/search/jql", json={"issues": {"PS-1": {}}, "nextPageToken": {"x": 1}})
    assert gateway.get_comments("PS-1") == [{"id": "1", "body": "hi"}]
    assert gateway.get_fields() == [{"id": "summary"}]
    assert gateway.search("project = PS") == []


def test_a_comment_over_jiras_limit_is_refused_before_it_is_sent():
    gateway = JiraGateway(JiraSite(url=SITE, deployment="cloud", email="bot@example.com", api_token="t"))
    with pytest.raises(ValueError, match="over Jira's 32,767"):
        gateway.add_internal_comment("PS-1", "x" * 32_768)
