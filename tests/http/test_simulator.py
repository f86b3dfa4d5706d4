"""The simulator over HTTP, as the gateway, the tests and the benchmarks use it."""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
import time_machine

from jirasim import JiraSimulator
from jirasim import catalogue as cat
from jirasim.shapes import jira_time

from tests.simulator_fixtures import SECRET, Client


def _request(sim: JiraSimulator, **fields) -> str:
    fields.setdefault("summary", "Search is slow")
    return sim.create_request(sen="SEN-10000001", severity="L2", product="Jira Software", version="10.3.4",
                              environment="Production", **fields)["issueKey"]


# -- auth and flavors -------------------------------------------------------------------------

def test_cloud_takes_any_basic_auth_and_refuses_none_or_bearer(sim, http):
    assert requests.get(f"{sim.url}/rest/api/2/myself", timeout=5).status_code == 401
    bearer = requests.get(f"{sim.url}/rest/api/2/myself", headers={"Authorization": "Bearer x"}, timeout=5)
    assert bearer.status_code == 401
    me = http.get("/rest/api/2/myself").json()
    assert me["emailAddress"] == "agent@example.com" and me["accountId"].startswith("712020:")
    assert http.get("/rest/api/3/myself").json()["accountId"] == me["accountId"]
    assert requests.get(f"{sim.url}/rest/api/2/serverInfo", timeout=5).json()["deploymentType"] == "Cloud"


def test_datacenter_takes_bearer_tokens_names_users_and_has_no_v3(dc_sim, dc_http):
    assert requests.get(f"{dc_sim.url}/rest/api/2/myself", auth=("a", "b"), timeout=5).status_code == 401
    me = dc_http.get("/rest/api/2/myself").json()
    assert "accountId" not in me and me["name"] == me["key"] == "psw-automation"
    assert dc_http.get("/rest/api/3/myself").status_code == 404
    assert dc_http.get("/rest/api/2/serverInfo").json()["deploymentType"] == "Server"
    key = dc_sim.create_request(summary="x", reporter="it@initech.example")["issueKey"]
    reporter = dc_http.get(f"/rest/api/2/issue/{key}").json()["fields"]["reporter"]
    assert reporter["name"] == "it" and "accountId" not in reporter


# -- creating and reading ---------------------------------------------------------------------

def test_jsm_create_answers_201_and_the_issue_carries_the_request(sim, http):
    answer = http.post("/rest/servicedeskapi/request", json={
        "serviceDeskId": "1", "requestTypeId": "2", "raiseOnBehalfOf": "ops-admin@globex.example",
        "requestFieldValues": cat.sample_request_fields(summary="Jira is down", sen="SEN-10000001",
                                                        severity="L1", product="Jira Software",
                                                        environment="Production")})
    assert answer.status_code == 201
    body = answer.json()
    assert (body["issueKey"], body["issueId"], body["requestTypeId"]) == ("PS-1", "10001", "2")
    assert body["reporter"]["emailAddress"] == "ops-admin@globex.example"
    fields = http.get("/rest/api/2/issue/PS-1").json()["fields"]
    assert fields["summary"] == "Jira is down"
    assert fields[cat.SEN_FIELD] == "SEN-10000001"
    assert fields[cat.SEVERITY_FIELD]["value"] == "L1 - Production down"
    assert fields[cat.REQUEST_TYPE_FIELD]["requestType"]["name"] == "Report a production outage"
    assert fields["status"]["name"] == "Waiting for support"
    assert fields["issuetype"]["name"] == "Incident"
    assert fields["priority"]["name"] == "Medium" and fields["labels"] == []
    assert fields["reporter"]["accountId"].startswith("qm:")


def test_jsm_create_refuses_unknown_options_and_fields_in_its_own_error_shape(http):
    bad_option = http.post("/rest/servicedeskapi/request", json={
        "serviceDeskId": "1", "requestTypeId": "1",
        "requestFieldValues": {"summary": "x", cat.SEVERITY_FIELD: {"value": "L9"}}})
    assert bad_option.status_code == 400
    assert "Option value 'L9' is not valid" in bad_option.json()["errorMessage"]
    agent_field = http.post("/rest/servicedeskapi/request", json={
        "serviceDeskId": "1", "requestTypeId": "1",
        "requestFieldValues": {"summary": "x", cat.PS_LEVEL_FIELD: "L1"}})
    assert agent_field.status_code == 400 and cat.PS_LEVEL_FIELD in agent_field.json()["errorMessage"]
    assert http.post("/rest/servicedeskapi/request", json={
        "serviceDeskId": "1", "requestTypeId": "99", "requestFieldValues": {"summary": "x"}}).status_code == 400


def test_rest_create_answers_201_and_requires_a_summary(sim, http):
    created = http.post("/rest/api/2/issue", json={"fields": {
        "project": {"key": "PS"}, "issuetype": {"name": "Service Request"}, "summary": "By API",
        cat.PRODUCT_FIELD: {"value": "Confluence"}}})
    assert created.status_code == 201
    assert created.json() == {"id": "10001", "key": "PS-1", "self": f"{sim.url}/rest/api/2/issue/10001"}
    missing = http.post("/rest/api/2/issue", json={"fields": {"project": {"key": "PS"},
                                                              "issuetype": {"name": "Service Request"}}})
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"summary": "You must specify a summary of the issue."}
    backdated = http.post("/rest/api/2/issue", json={"fields": {
        "project": {"key": "PS"}, "issuetype": {"id": "10003"}, "summary": "x",
        "created": "2020-01-01T00:00:00.000+0000"}})
    assert backdated.status_code == 400 and "created" in backdated.json()["errors"]


def test_get_issue_honours_fields_and_properties(sim, http):
    key = _request(sim)
    only = http.get(f"/rest/api/2/issue/{key}", params={"fields": "summary,labels"}).json()
    assert set(only["fields"]) == {"summary", "labels"} and "properties" not in only
    without = http.get(f"/rest/api/2/issue/{key}", params={"fields": "*all,-description"}).json()
    assert "description" not in without["fields"] and "summary" in without["fields"]
    minus = http.get(f"/rest/api/2/issue/{key}", params={"fields": "-description"}).json()
    assert set(minus["fields"]) == set(without["fields"])
    none_yet = http.get(f"/rest/api/2/issue/{key}", params={"properties": "priority-support"}).json()
    assert none_yet["properties"] == {}
    assert http.put(f"/rest/api/2/issue/{key}/properties/priority-support",
                    json={"level": "L2", "config": "abc"}).status_code == 201
    assert http.put(f"/rest/api/2/issue/{key}/properties/other", json=[1, 2]).status_code == 201
    shown = http.get(f"/rest/api/2/issue/{key}", params={"properties": "priority-support"}).json()
    assert shown["properties"] == {"priority-support": {"level": "L2", "config": "abc"}}
    assert http.get("/rest/api/2/issue/PS-99").status_code == 404


def test_properties_get_put_delete(sim, http):
    key = _request(sim)
    path = f"/rest/api/2/issue/{key}/properties/priority-support"
    absent = http.get(path)
    assert absent.status_code == 404 and absent.json()["errorMessages"]
    assert http.put(path, json={"level": "L1"}).status_code == 201
    assert http.put(path, json={"level": "L3"}).status_code == 200
    assert http.get(path).json() == {"key": "priority-support", "value": {"level": "L3"}}
    assert http.put(path, data="{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert http.put(path, json={"blob": "x" * 40000}).status_code == 400
    assert http.delete(path).status_code == 204
    assert http.get(path).status_code == 404 and http.delete(path).status_code == 404
    assert sim.properties(key) == {}


# -- editing ----------------------------------------------------------------------------------

def test_edit_sets_fields_and_label_operations_and_answers_204(sim, http):
    key = _request(sim)
    sim.wait_for_webhooks()
    edit = http.put(f"/rest/api/2/issue/{key}", params={"notifyUsers": "false"}, json={
        "fields": {cat.PS_LEVEL_FIELD: "L2", cat.PS_DUE_FIELD: "2026-11-26T10:00:00.000+0000",
                   "priority": {"name": "High"}},
        "update": {"labels": [{"add": "priority-support"}, {"add": "ps-l2"}, {"remove": "absent"}]}})
    assert edit.status_code == 204 and edit.content == b""
    fields = sim.issue(key)["fields"]
    assert fields[cat.PS_LEVEL_FIELD] == "L2"
    assert fields[cat.PS_DUE_FIELD] == "2026-11-26T10:00:00.000+0000"
    assert fields["priority"]["name"] == "High" and fields["labels"] == ["priority-support", "ps-l2"]
    assert http.put(f"/rest/api/2/issue/{key}", json={"fields": {"priority": {"id": "1"}},
                                                      "update": {"labels": [{"remove": "ps-l2"}]}}).status_code == 204
    fields = sim.issue(key)["fields"]
    assert fields["priority"]["name"] == "Highest" and fields["labels"] == ["priority-support"]


def test_edit_of_a_field_off_screen_or_unknown_is_refused_whole(sim, http):
    key = _request(sim)
    sim.set_field_on_screen(cat.PS_ENTITLEMENT_FIELD, False)
    answer = http.put(f"/rest/api/2/issue/{key}", json={
        "fields": {cat.PS_LEVEL_FIELD: "L1", cat.PS_ENTITLEMENT_FIELD: "entitled", "customfield_19999": "x"}})
    assert answer.status_code == 400
    assert answer.json() == {"errorMessages": [], "errors": {
        cat.PS_ENTITLEMENT_FIELD: f"Field '{cat.PS_ENTITLEMENT_FIELD}' cannot be set. It is not on the "
                                  "appropriate screen, or unknown.",
        "customfield_19999": "Field 'customfield_19999' cannot be set. It is not on the appropriate "
                             "screen, or unknown."}}
    assert sim.issue(key)["fields"][cat.PS_LEVEL_FIELD] is None  # nothing applied
    sim.set_field_on_screen(cat.PS_ENTITLEMENT_FIELD, True)
    assert http.put(f"/rest/api/2/issue/{key}", json={"fields": {cat.PS_ENTITLEMENT_FIELD: "ok"}}).status_code == 204


def test_edit_validates_values_like_jira(sim, http):
    key = _request(sim)
    answer = http.put(f"/rest/api/2/issue/{key}", json={"fields": {
        cat.PS_DUE_FIELD: "2026-11-26 10:00", "priority": {"name": "Urgent"},
        cat.SEVERITY_FIELD: {"value": "Sev 1"}, "labels": ["two words"], "status": {"name": "Resolved"}}})
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert set(errors) == {cat.PS_DUE_FIELD, "priority", cat.SEVERITY_FIELD, "labels", "status"}
    assert errors["priority"] == "The priority selected is invalid."
    assert errors[cat.SEVERITY_FIELD] == "Option value 'Sev 1' is not valid"
    both = http.put(f"/rest/api/2/issue/{key}", json={"fields": {"labels": ["a"]},
                                                      "update": {"labels": [{"add": "b"}]}})
    assert both.status_code == 400 and "labels" in both.json()["errors"]


def test_v3_speaks_adf_for_the_description(sim, http):
    key = _request(sim, description="First line")
    assert http.get(f"/rest/api/3/issue/{key}").json()["fields"]["description"]["type"] == "doc"
    doc = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": "Rewritten"}]}]}
    assert http.put(f"/rest/api/3/issue/{key}", json={"fields": {"description": doc}}).status_code == 204
    assert http.get(f"/rest/api/2/issue/{key}").json()["fields"]["description"] == "Rewritten"
    assert http.put(f"/rest/api/2/issue/{key}", json={"fields": {"description": doc}}).status_code == 400


# -- comments, SLA, fields --------------------------------------------------------------------

def test_comments_keep_their_jsm_visibility(sim, http):
    key = _request(sim)
    internal = http.post(f"/rest/servicedeskapi/request/{key}/comment", json={"body": "Triage: L2", "public": False})
    assert internal.status_code == 201 and internal.json()["public"] is False
    sim.add_comment(key, "We are on it", public=True)
    listed = http.get(f"/rest/api/2/issue/{key}/comment").json()
    assert [(c["body"], c["jsdPublic"]) for c in listed["comments"]] == [("Triage: L2", False), ("We are on it", True)]
    public_only = http.get(f"/rest/servicedeskapi/request/{key}/comment", params={"internal": "false"}).json()
    assert [c["body"] for c in public_only["values"]] == ["We are on it"]
    assert http.post(f"/rest/servicedeskapi/request/{key}/comment", json={"body": "", "public": True}).status_code == 400
    assert http.post(f"/rest/servicedeskapi/request/{key}/comment", json={"body": "x", "public": "no"}).status_code == 400


def test_sla_is_empty_until_a_test_sets_cycles(sim, http):
    key = _request(sim)
    assert http.get(f"/rest/servicedeskapi/request/{key}/sla").json()["values"] == []
    cycle = {"id": "1", "name": "Time to first response", "completedCycles": [],
             "ongoingCycle": {"breached": False, "paused": False}}
    sim.set_sla(key, [cycle])
    assert http.get(f"/rest/servicedeskapi/request/{key}/sla").json()["values"] == [cycle]


def test_field_catalogue_lists_the_site_fields(http):
    fields = {f["id"]: f for f in http.get("/rest/api/2/field").json()}
    assert fields[cat.SEN_FIELD]["name"] == "SEN"
    assert fields[cat.PS_DUE_FIELD]["schema"] == {
        "type": "datetime", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:datetime",
        "customId": 10111}
    assert fields[cat.SEVERITY_FIELD]["clauseNames"] == ["cf[10101]", "Severity"]
    assert fields["labels"]["schema"] == {"type": "array", "system": "labels", "items": "string"}
    assert {f["id"] for f in http.get("/rest/api/3/field").json()} == set(fields)


# -- search -----------------------------------------------------------------------------------

def test_search_with_the_jql_subset(sim, http):
    now = datetime.now(timezone.utc)
    old = _request(sim, summary="old", created=now - timedelta(days=3))
    fresh = _request(sim, summary="fresh", created=now - timedelta(minutes=2))
    done = _request(sim, summary="done", created=now - timedelta(minutes=1))
    sim.set_status(done, "Resolved")
    http.put(f"/rest/api/2/issue/{fresh}/properties/priority-support", json={"level": "L2"})

    def keys(jql: str, **extra) -> list[str]:
        answer = http.post("/rest/api/2/search/jql", json={"jql": jql, "fields": ["created"], **extra})
        assert answer.status_code == 200, answer.text
        return [i["key"] for i in answer.json()["issues"]]

    assert keys('project = PS AND created >= "-10m" ORDER BY created ASC') == [fresh, done]
    assert keys('project = PS AND created >= "-10m" ORDER BY created DESC') == [done, fresh]
    assert keys("project = PS AND issue.property[priority-support] is EMPTY ORDER BY created") == [old, done]
    assert keys("project = PS AND issue.property[priority-support] IS NOT EMPTY") == [fresh]
    assert keys("project = PS AND statusCategory != Done ORDER BY key") == [old, fresh]
    assert keys('project = PS AND status = "Waiting for support" AND created < -1d') == [old]
    day = (now - timedelta(days=1)).strftime("%Y-%m-%d")
    assert keys(f'project = PS AND created >= "{day}" ORDER BY created') == [fresh, done]
    assert keys("project = PS AND status != Resolved ORDER BY created") == [old, fresh]


def test_search_pages_by_token_on_cloud_and_by_start_on_datacenter(sim, http, dc_sim, dc_http):
    for n in range(5):
        _request(sim, summary=f"n{n}")
        _request(dc_sim, summary=f"n{n}")
    first = http.post("/rest/api/2/search/jql", json={"jql": "project = PS ORDER BY key", "maxResults": 2,
                                                      "fields": ["summary"]}).json()
    assert [i["key"] for i in first["issues"]] == ["PS-1", "PS-2"] and first["isLast"] is False
    rest = http.get("/rest/api/3/search/jql", params={"jql": "project = PS ORDER BY key", "maxResults": 10,
                                                      "nextPageToken": first["nextPageToken"]}).json()
    assert [i["id"] for i in rest["issues"]] == ["10003", "10004", "10005"] and rest["isLast"] is True
    assert set(rest["issues"][0]) == {"id"}  # Cloud's default: ids only
    page = dc_http.get("/rest/api/2/search", params={"jql": "project = PS ORDER BY key",
                                                     "startAt": 3, "maxResults": 10}).json()
    assert page["total"] == 5 and [i["key"] for i in page["issues"]] == ["PS-4", "PS-5"]
    assert dc_http.get("/rest/api/2/search/jql", params={"jql": "project = PS"}).status_code == 404


def test_search_refuses_jql_it_does_not_understand_with_jiras_error_shape(http):
    for jql, message in [
        ("project = PS AND foo = bar", "Field 'foo' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("project > PS", "The operator '>' is not supported by the 'project' field."),
        ('created >= "yesterday"', "Date value 'yesterday' for field 'created' is invalid."),
    ]:
        answer = http.get("/rest/api/2/search", params={"jql": jql})
        assert answer.status_code == 400, jql
        assert answer.json()["errorMessages"][0].startswith(message), answer.json()
        assert answer.json()["errors"] == {}
    syntax = http.post("/rest/api/2/search/jql", json={"jql": "project = PS AND"})
    assert syntax.status_code == 400 and "Error in the JQL Query" in syntax.json()["errorMessages"][0]
    unbounded = http.post("/rest/api/2/search/jql", json={"jql": "ORDER BY created"})
    assert unbounded.status_code == 400 and "Unbounded" in unbounded.json()["errorMessages"][0]


# -- faults and the call log ------------------------------------------------------------------

def test_faults_answer_429_with_retry_after_then_500_then_normally(sim, http):
    key = _request(sim)
    sim.add_fault("GET", r"/issue/PS-\d+$", 429, retry_after=7)
    sim.add_fault("*", r"/issue/", 500, times=1)
    limited = http.get(f"/rest/api/2/issue/{key}")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["errorMessages"]
    assert http.get(f"/rest/api/2/issue/{key}").status_code == 500
    assert http.get(f"/rest/api/2/issue/{key}").status_code == 200
    assert [c.status for c in sim.calls if c.path == f"/rest/api/2/issue/{key}"] == [429, 500, 200]


def test_a_slow_fault_delays_the_answer(sim, http):
    key = _request(sim)
    sim.add_fault("PUT", "/properties/", None, delay=0.3, times=2)
    started = time.monotonic()
    assert http.put(f"/rest/api/2/issue/{key}/properties/p", json=1).status_code == 201
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    http.get(f"/rest/api/2/issue/{key}")
    assert time.monotonic() - started < 0.3


def test_the_call_log_records_method_path_query_body_and_status(sim, http):
    key = _request(sim)
    http.put(f"/rest/api/2/issue/{key}", params={"notifyUsers": "false"}, json={"fields": {"summary": "New"}})
    http.get("/rest/api/2/issue/PS-404")
    before = time.time()
    method, path, query, body, status, at = sim.calls[-2]
    assert (method, path, query, body, status) == (
        "PUT", f"/rest/api/2/issue/{key}", {"notifyUsers": "false"}, {"fields": {"summary": "New"}}, 204)
    assert before - 60 < at <= before
    assert sim.calls[-1].status == 404


def test_control_api_drives_a_simulator_in_another_process(sim, http):
    control = Client(sim.url)
    created = control.post("/_sim/requests", json={
        "serviceDeskId": "1", "requestTypeId": "1", "requestFieldValues": {"summary": "backdated"},
        "created": "2026-01-05T09:00:00.000+0000", "fire_webhooks": False})
    assert created.status_code == 201
    key = created.json()["issueKey"]
    assert control.get(f"/_sim/issues/{key}").json()["fields"]["created"] == "2026-01-05T09:00:00.000+0000"
    fault = control.post("/_sim/faults", json={"method": "GET", "path_regex": "/myself", "status": 503,
                                               "retry_after": 2, "times": 1})
    assert fault.status_code == 201
    assert http.get("/rest/api/2/myself").status_code == 503
    assert control.post("/_sim/faults", json={"path_regex": "(", "status": 500}).status_code == 400
    calls = control.get("/_sim/calls").json()["calls"]
    assert calls[-1]["path"] == "/rest/api/2/myself" and calls[-1]["status"] == 503
    assert not any(c["path"].startswith("/_sim") for c in calls)
    assert control.post(f"/_sim/issues/{key}/status", json={"status": "Resolved"}).status_code == 204
    assert control.post(f"/_sim/issues/{key}/status", json={"status": "Closed"}).status_code == 400
    assert control.post("/_sim/reset").status_code == 204
    assert control.get("/_sim/issues").json() == {"keys": []} and sim.calls == []


def test_control_api_switches_webhooks_and_moves_the_clock(sim, http, receiver):
    control = Client(sim.url)
    assert control.post("/_sim/webhook", json={"events": ["jira:issue_created"]}).json()["events"] == [
        "jira:issue_created"]
    key = _request(sim)
    http.post(f"/rest/servicedeskapi/request/{key}/comment", json={"body": "x", "public": True})
    assert control.post("/_sim/webhook", json={"enabled": False}).json()["enabled"] is False
    _request(sim)
    assert control.post("/_sim/deliveries/wait", json={"timeout": 5}).json() == {"idle": True}
    assert receiver.events() == ["jira:issue_created"]
    deliveries = control.get("/_sim/deliveries").json()
    assert [d["issue_key"] for d in deliveries["deliveries"]] == [key]
    assert deliveries["attempts"][0]["status"] == 200
    assert control.post("/_sim/webhook", json={"events": ["issue_deleted"]}).status_code == 400
    moved = control.post("/_sim/clock", json={"now": "2026-02-03T04:05:06+00:00", "advance_seconds": 60})
    assert moved.json() == {"now": "2026-02-03T04:06:06+00:00"}
    assert sim.issue(_request(sim))["fields"]["created"] == "2026-02-03T04:06:06.000+0000"
    assert control.post("/_sim/clock", json={"now": "2026-02-03 04:05"}).status_code == 400


# -- time -------------------------------------------------------------------------------------

def test_creation_time_comes_from_a_clock_tests_can_move(sim, http):
    with time_machine.travel(datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc), tick=False):
        key = _request(sim)
    assert sim.issue(key)["fields"]["created"] == "2026-03-02T08:30:00.000+0000"
    sim.clock.pin(datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc))
    sim.clock.advance(90)
    assert sim.issue(_request(sim))["fields"]["created"] == "2026-05-01T12:01:30.000+0000"


# -- webhooks ---------------------------------------------------------------------------------

def test_create_fires_a_signed_issue_created_webhook_with_jiras_headers(sim, receiver):
    key = _request(sim, reporter="ops-admin@globex.example")
    sim.wait_for_webhooks()
    (got,) = receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Hub-Signature"] == expected
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Atlassian-Webhook-Identifier"] == sim.deliveries[0].id
    assert "X-Atlassian-Webhook-Retry" not in got.headers
    body = got.json()
    assert body["webhookEvent"] == "jira:issue_created" and body["issue_event_type_name"] == "issue_created"
    assert body["issue"]["key"] == key and body["issue"]["self"].endswith("/rest/api/2/issue/10001")
    assert body["issue"]["fields"][cat.SEN_FIELD] == "SEN-10000001"
    assert body["user"]["accountId"] and isinstance(body["timestamp"], int)
    created = {item["fieldId"]: item for item in body["changelog"]["items"]}
    assert created["summary"]["toString"] == "Search is slow"
    assert (created[cat.REQUEST_TYPE_FIELD]["field"], created[cat.REQUEST_TYPE_FIELD]["toString"]) == (
        "Request Type", "Technical support")
    assert created[cat.SEVERITY_FIELD]["to"] == "10201"  # option ids, as Jira records them


def test_edit_fires_issue_updated_with_a_changelog(sim, http, receiver):
    key = _request(sim)
    http.put(f"/rest/api/2/issue/{key}", json={"update": {"labels": [{"add": "priority-support"}]},
                                               "fields": {cat.SEVERITY_FIELD: {"value": "L1 - Production down"}}})
    http.put(f"/rest/api/2/issue/{key}", json={"update": {"labels": [{"add": "priority-support"}]}})  # no change
    sim.wait_for_webhooks()
    assert receiver.events() == ["jira:issue_created", "jira:issue_updated"]
    items = {i["fieldId"]: i for i in receiver.received[1].json()["changelog"]["items"]}
    assert items["labels"]["toString"] == "priority-support"
    assert (items[cat.SEVERITY_FIELD]["field"], items[cat.SEVERITY_FIELD]["fromString"],
            items[cat.SEVERITY_FIELD]["toString"]) == ("Severity", "L2 - Serious degradation", "L1 - Production down")


def test_a_500_is_retried_with_the_same_identifier_then_succeeds(sim, receiver):
    receiver.script = [500, 503]
    _request(sim)
    sim.wait_for_webhooks()
    ids = [r.headers["X-Atlassian-Webhook-Identifier"] for r in receiver.received]
    assert len(ids) == 3 and len(set(ids)) == 1
    assert [r.headers.get("X-Atlassian-Webhook-Retry") for r in receiver.received] == [None, "1", "2"]
    assert receiver.received[0].body == receiver.received[2].body
    assert [(a.attempt, a.status) for a in sim.delivery_attempts] == [(1, 500), (2, 503), (3, 200)]


def test_a_timeout_is_retried_and_a_4xx_is_not(receiver):
    with JiraSimulator(webhook_url=receiver.url, webhook_backoff=0.01, webhook_timeout=0.2) as sim:
        receiver.delays = [0.6]
        _request(sim)
        sim.wait_for_webhooks()
        assert [(a.attempt, a.status) for a in sim.delivery_attempts] == [(1, None), (2, 200)]
        assert sim.delivery_attempts[0].error == "ReadTimeout"
        receiver.script = [400]
        _request(sim)
        sim.wait_for_webhooks()
        assert [(a.attempt, a.status) for a in sim.delivery_attempts[2:]] == [(1, 400)]


def test_delivery_gives_up_after_the_configured_attempts(receiver):
    with JiraSimulator(webhook_url=receiver.url, webhook_attempts=3, webhook_backoff=0.01) as sim:
        receiver.script = [500] * 10
        _request(sim)
        sim.wait_for_webhooks()
        assert [a.status for a in sim.delivery_attempts] == [500, 500, 500]
        assert len(receiver.received) == 3


def test_resend_delivers_the_same_bytes_under_the_same_identifier(sim, receiver):
    _request(sim)
    sim.wait_for_webhooks()
    (delivery,) = sim.deliveries
    sim.resend(delivery.id)
    sim.wait_for_webhooks()
    first, again = receiver.received
    assert again.body == first.body
    assert again.headers["X-Atlassian-Webhook-Identifier"] == first.headers["X-Atlassian-Webhook-Identifier"]
    assert again.headers["X-Hub-Signature"] == first.headers["X-Hub-Signature"]
    with pytest.raises(KeyError):
        sim.resend("no-such-delivery")


def test_fire_webhooks_false_means_the_webhook_never_comes(sim, receiver):
    key = _request(sim, fire_webhooks=False)
    sim.wait_for_webhooks()
    assert receiver.received == [] and sim.deliveries == []
    assert sim.issue(key)["key"] == key


def test_cloud_comment_fires_comment_created_with_the_issue_and_jsd_public(sim, http, receiver):
    key = _request(sim)
    http.post(f"/rest/servicedeskapi/request/{key}/comment", json={"body": "internal", "public": False})
    sim.wait_for_webhooks()
    assert receiver.events() == ["jira:issue_created", "comment_created", "jira:issue_updated"]
    comment = receiver.received[1].json()
    assert comment["issue"]["key"] == key and comment["comment"]["jsdPublic"] is False
    assert receiver.received[2].json()["issue_event_type_name"] == "issue_commented"


def test_datacenter_comment_created_carries_only_timestamp_event_and_comment(dc_sim, dc_http, receiver):
    key = _request(dc_sim)
    answer = dc_http.post(f"/rest/servicedeskapi/request/{key}/comment", json={"body": "hi", "public": True})
    assert answer.status_code == 201
    dc_sim.wait_for_webhooks()
    body = receiver.received[1].json()
    assert set(body) == {"timestamp", "webhookEvent", "comment"}
    assert body["webhookEvent"] == "comment_created"
    comment_id = answer.json()["id"]
    assert body["comment"]["self"] == f"{dc_sim.url}/rest/api/2/issue/10001/comment/{comment_id}"
    assert body["comment"]["author"]["name"] == "psw-automation" and "accountId" not in body["comment"]["author"]
    assert "X-Hub-Signature" not in receiver.received[1].headers  # no secret, no signature


def test_the_webhooks_of_one_issue_leave_in_the_order_its_changes_happened(sim, http, receiver):
    keys = [_request(sim, summary=f"n{n}") for n in range(8)]
    for key in keys:
        http.put(f"/rest/api/2/issue/{key}", json={"fields": {cat.PS_LEVEL_FIELD: "L3"}})
    sim.wait_for_webhooks()
    order = [(r.json()["webhookEvent"], r.json()["issue"]["key"]) for r in receiver.received]
    assert sorted(order) == sorted([("jira:issue_created", k) for k in keys] + [("jira:issue_updated", k) for k in keys])
    for key in keys:
        assert [event for event, k in order if k == key] == ["jira:issue_created", "jira:issue_updated"]


def test_concurrent_creates_get_distinct_keys(sim):
    results: list[str] = []

    def create() -> None:
        client = requests.Session()
        for _ in range(25):
            answer = client.post(f"{sim.url}/rest/servicedeskapi/request", auth=("c@example.com", "t"), json={
                "serviceDeskId": "1", "requestTypeId": "1", "requestFieldValues": {"summary": "x"}})
            results.append(answer.json()["issueKey"])

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=lambda k: int(k[3:])) == [f"PS-{n}" for n in range(1, 151)]
    sim.wait_for_webhooks()
    assert len(sim.deliveries) == 150


def test_wait_for_returns_the_truthy_value_or_times_out(sim):
    assert sim.wait_for(lambda: 42, timeout=0.1) == 42
    with pytest.raises(TimeoutError):
        sim.wait_for(lambda: None, timeout=0.05)


def test_jira_time_is_jiras_format():
    assert jira_time(datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=timezone.utc)) == "2026-11-26T10:00:00.123+0000"
