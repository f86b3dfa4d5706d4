"""The triage's requests to Jira, byte for byte, on Cloud and Data Center (`responses`)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from tests.http.sites import CLOUD, DATACENTER
from worker.entitlement.sources import EntitlementSourceUnavailable
from worker.jira.errors import JiraUnavailable
from worker.jira.gateway import JiraGateway
from worker.triage import PROPERTY, triage

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
NOW = datetime(2026, 11, 26, 10, 1, tzinfo=timezone.utc)


def body(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def run(site, payload, config, source, redis_client, **kw):
    return triage(issue=payload["issue"], delivery_id="delivery-1", config=config, source=source,
                  gateway=JiraGateway(site), redis_client=redis_client, now=NOW, **kw)


def expect_writes(rsps, site, key):
    base = f"{site.url}/rest"
    edit = rsps.put(f"{base}/api/2/issue/{key}", status=204)
    comment = rsps.post(f"{base}/servicedeskapi/request/{key}/comment", status=201, json={"id": "1"})
    prop = rsps.put(f"{base}/api/2/issue/{key}/properties/{PROPERTY}", status=201)
    return edit, comment, prop


def sent(call) -> dict:
    return json.loads(call.calls[0].request.body)


def test_cloud_entitled_l1_writes_exact_bodies(rsps, config, source, redis_client):
    edit, comment, prop = expect_writes(rsps, CLOUD, "PS-101")
    result = run(CLOUD, body("cloud-entitled-l1.json"), config, source, redis_client)
    assert result.status == "written"
    assert sent(edit) == {
        "fields": {"customfield_10110": "L1", "customfield_10111": "2026-11-26T11:00:00.000+0000",
                   "customfield_10112": "entitled", "priority": {"name": "Highest"},
                   # Routing (worker/routing/): in the same edit, the team on shift and one of its engineers.
                   "customfield_10113": {"value": "Priority Support EMEA"},
                   "assignee": {"accountId": "712020:a5f704e5-f148-5db2-8850-68ba8ee994d8"}},
        "update": {"labels": [{"add": "priority-support"}, {"add": "ps-l1"}]},
    }
    assert edit.calls[0].request.params == {"notifyUsers": "false"}
    posted = sent(comment)
    assert posted["public"] is False
    assert posted["body"].startswith("Priority Support triage: ENTITLED.")
    assert "L1 phone support: the EMEA Priority Support line is +31 20 555 0100 (its office is on shift when it was raised)." in posted["body"]
    assert "2026-11-26 12:00 CET (Europe/Amsterdam), 2026-11-26 11:00 UTC" in posted["body"]
    assert posted["body"].endswith(f"(psw-triage: decision {result.decision_id})")
    stored = sent(prop)
    assert (stored["decision_id"], stored["delivery"], stored["level"], stored["entitled"]) == (
        result.decision_id, "delivery-1", "L1", True)
    assert stored["config_version"] == config.version
    assert [r["at"] for r in stored["reminders"]] == [0.5, 0.75, 0.9, 1.0]
    assert len(rsps.calls) == 3


def test_data_center_entitled_capped_l3_writes_exact_bodies(rsps, config, source, redis_client):
    edit, comment, prop = expect_writes(rsps, DATACENTER, "PS-104")
    result = run(DATACENTER, body("dc-non-production-capped.json"), config, source, redis_client)
    assert [c.request.url.split("?")[0] for c in rsps.calls] == [
        "https://jira.acme.example/jira/rest/api/2/issue/PS-104",
        "https://jira.acme.example/jira/rest/servicedeskapi/request/PS-104/comment",
        "https://jira.acme.example/jira/rest/api/2/issue/PS-104/properties/priority-support"]
    assert all(c.request.headers["Authorization"].startswith("Bearer ") for c in rsps.calls)
    assert sent(edit) == {
        "fields": {"customfield_10110": "L3", "customfield_10111": "2026-11-27T10:00:00.000+0000",
                   "customfield_10112": "entitled", "priority": {"name": "Medium"},
                   "customfield_10113": {"value": "Priority Support EMEA"}, "assignee": {"name": "emil.emea"}},
        "update": {"labels": [{"add": "priority-support"}, {"add": "ps-l3"}]},
    }
    assert sent(comment) == {"body": result.writes.comment, "public": False}
    assert "Capped: L1 is for production impact and the environment is 'Staging'" in sent(comment)["body"]
    assert sent(prop) == json.loads(json.dumps(result.property))


def test_data_center_not_entitled_writes_reason_labels_and_comment_only(rsps, config, source, redis_client):
    edit, comment, prop = expect_writes(rsps, DATACENTER, "PS-102")
    run(DATACENTER, body("dc-maintenance-expired.json"), config, source, redis_client)
    assert edit.calls[0].request.url.startswith("https://jira.acme.example/jira/rest/api/2/issue/PS-102")
    assert edit.calls[0].request.headers["Authorization"].startswith("Bearer ")
    # No priority, no Priority Support fields: only the reason labels.
    assert sent(edit) == {"update": {"labels": [{"add": "ps-not-entitled"},
                                                {"add": "ps-reason-maintenance_expired"}]}}
    assert sent(comment)["body"].startswith("Priority Support triage: NOT ENTITLED.")
    assert "MAINTENANCE_EXPIRED" in sent(comment)["body"]
    assert sent(prop)["entitled"] is False


def test_second_run_writes_nothing(rsps, config, source, redis_client):
    expect_writes(rsps, CLOUD, "PS-101")
    run(CLOUD, body("cloud-entitled-l1.json"), config, source, redis_client)
    again = run(CLOUD, body("cloud-entitled-l1.json"), config, source, redis_client)
    assert again.status == "unchanged"
    assert len(rsps.calls) == 3


def test_labels_an_agent_added_are_kept_and_only_present_managed_labels_removed(rsps, config, source, redis_client):
    payload = body("cloud-entitled-l1.json")
    payload["issue"]["fields"]["labels"] = ["customer-vip", "ps-l3"]
    edit, _, _ = expect_writes(rsps, CLOUD, "PS-101")
    run(CLOUD, payload, config, source, redis_client)
    assert sent(edit)["update"] == {"labels": [{"add": "priority-support"}, {"add": "ps-l1"},
                                               {"remove": "ps-l3"}]}


def test_retry_after_a_failed_comment_does_not_redo_the_edit(rsps, config, source, redis_client):
    base = f"{CLOUD.url}/rest"
    rsps.put(f"{base}/api/2/issue/PS-101", status=204)
    rsps.post(f"{base}/servicedeskapi/request/PS-101/comment", status=503)
    with pytest.raises(JiraUnavailable):
        run(CLOUD, body("cloud-entitled-l1.json"), config, source, redis_client)
    # The comment was sent and failed: the retry checks the comments first, finds none, posts.
    rsps.reset()
    rsps.get(f"{base}/servicedeskapi/request/PS-101/comment", json={"values": [], "isLastPage": True})
    comment = rsps.post(f"{base}/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
    rsps.put(f"{base}/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    assert run(CLOUD, body("cloud-entitled-l1.json"), config, source, redis_client).status == "written"
    assert len(comment.calls) == 1
    assert [c.request.method for c in rsps.calls] == ["GET", "POST", "PUT"]  # no second edit


def test_a_comment_posted_whose_answer_was_lost_is_not_posted_again(rsps, config, source, redis_client):
    base = f"{CLOUD.url}/rest"
    rsps.put(f"{base}/api/2/issue/PS-101", status=204)
    rsps.post(f"{base}/servicedeskapi/request/PS-101/comment", body=requests.ConnectionError("reset"))
    with pytest.raises(JiraUnavailable):
        run(CLOUD, body("cloud-entitled-l1.json"), config, source, redis_client)
    # Jira did store it, though the answer never came back.
    did = redis_client.hget("psw:triage:PS-101", "comment_sent").decode()
    rsps.reset()
    rsps.get(f"{base}/servicedeskapi/request/PS-101/comment",
             json={"values": [{"body": f"Priority Support triage: ...\n(psw-triage: decision {did})"}], "isLastPage": True})
    rsps.put(f"{base}/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    assert run(CLOUD, body("cloud-entitled-l1.json"), config, source, redis_client).status == "written"
    assert [c.request.method for c in rsps.calls] == ["GET", "PUT"]


def test_a_field_not_on_the_screen_is_dropped_and_the_rest_written(rsps, config, source, redis_client):
    base = f"{CLOUD.url}/rest"
    rejected = {"errorMessages": [], "errors": {"customfield_10111": "Field 'customfield_10111' cannot be set. "
                                               "It is not on the appropriate screen, or unknown."}}
    first = rsps.put(f"{base}/api/2/issue/PS-101", status=400, json=rejected)
    second_edit = rsps.put(f"{base}/api/2/issue/PS-101", status=204)
    rsps.post(f"{base}/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
    rsps.put(f"{base}/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    result = run(CLOUD, body("cloud-entitled-l1.json"), config, source, redis_client)
    assert result.rejected_fields == {"customfield_10111": rejected["errors"]["customfield_10111"]}
    second = json.loads(rsps.calls[1].request.body)
    assert "customfield_10111" not in second["fields"]
    assert second["fields"]["customfield_10110"] == "L1"
    assert (first.call_count, second_edit.call_count) == (1, 1)  # one retry without it, no more


def test_shadow_mode_writes_nothing_and_returns_what_it_would_write(rsps, config, source, redis_client):
    result = run(CLOUD, body("cloud-entitled-l1.json"), config, source, redis_client, shadow=True)
    assert result.status == "shadow"
    assert result.writes.fields["priority"] == {"name": "Highest"}
    assert len(rsps.calls) == 0


def test_a_body_without_the_facts_is_completed_by_one_read(rsps, config, source, redis_client):
    payload = body("cloud-entitled-l1.json")
    issue = json.loads(json.dumps(payload["issue"]))
    payload["issue"]["fields"] = {"summary": issue["fields"]["summary"]}
    rsps.get(f"{CLOUD.url}/rest/api/2/issue/PS-101", json=issue)
    expect_writes(rsps, CLOUD, "PS-101")
    assert run(CLOUD, payload, config, source, redis_client).decision.level == "L1"
    assert rsps.calls[0].request.params["properties"] == PROPERTY


def test_a_decision_already_on_the_issue_is_not_written_again_after_redis_lost_it(rsps, config, source, redis_client):
    expect_writes(rsps, CLOUD, "PS-101")
    first = run(CLOUD, body("cloud-entitled-l1.json"), config, source, redis_client)
    redis_client.flushdb()
    rsps.reset()
    issue = body("cloud-entitled-l1.json")["issue"]
    issue["properties"] = {PROPERTY: first.property}
    rsps.get(f"{CLOUD.url}/rest/api/2/issue/PS-101", json=issue)
    late = datetime(2026, 11, 26, 10, 40, tzinfo=timezone.utc)  # a late delivery, 40 min on
    again = triage(issue=body("cloud-entitled-l1.json")["issue"], delivery_id="delivery-2", config=config,
                   source=source, gateway=JiraGateway(CLOUD), redis_client=redis_client, now=late)
    assert again.status == "unchanged"
    assert len(rsps.calls) == 1


def test_an_entitlement_source_that_cannot_answer_raises_rather_than_deciding(rsps, config, redis_client):
    class Down:
        def lookup(self, sen):
            raise EntitlementSourceUnavailable("assets down")

    with pytest.raises(EntitlementSourceUnavailable):
        run(CLOUD, body("cloud-entitled-l1.json"), config, Down(), redis_client)
    assert len(rsps.calls) == 0
