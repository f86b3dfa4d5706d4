"""Issue 12, "cannot decide": a request whose facts cannot be read or known is retried, then marked
for a person, never rejected; the reporter's hidden email is looked up where the site shows it."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import pytest
import responses
import time_machine
from celery.exceptions import Retry
from responses import matchers

from tests.http.sites import CLOUD, DATACENTER
from worker.jira.gateway import JiraGateway
from worker.tasks import triage_request
from worker.triage import PROPERTY, triage

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
NOW = datetime(2026, 11, 26, 10, 1, tzinfo=timezone.utc)
HIDDEN = "557058:22222222-0000-4000-8000-000000000009"  # not among Globex's admin contacts by id
SEN_OBJECT = {"id": "10400", "self": "https://psw-demo.atlassian.net/rest/api/2/customFieldOption/10400"}


def cloud_issue(**fields) -> dict:
    issue = copy.deepcopy(json.loads((PAYLOADS / "cloud-entitled-l1.json").read_text())["issue"])
    issue["fields"].update(fields)
    return issue


def run(issue, config, source, redis_client, site=CLOUD, **kw):
    return triage(issue=issue, delivery_id="delivery-1", config=config, source=source,
                  gateway=JiraGateway(site), redis_client=redis_client, now=NOW, **kw)


# --- the gateway's user lookup ---------------------------------------------------------------


def test_cloud_user_lookup_asks_v3_by_account_id(rsps):
    rsps.get(f"{CLOUD.url}/rest/api/3/user", match=[matchers.query_param_matcher({"accountId": HIDDEN})],
             json={"accountId": HIDDEN, "displayName": "Ola Ops", "emailAddress": "ops-admin@globex.example"})
    assert JiraGateway(CLOUD).get_user(account_id=HIDDEN)["emailAddress"] == "ops-admin@globex.example"


def test_data_center_user_lookup_asks_by_user_name_and_a_missing_user_is_none(rsps):
    rsps.get(f"{DATACENTER.url}/rest/api/2/user", match=[matchers.query_param_matcher({"username": "gone.user"})],
             status=404, json={"errorMessages": ["The user named 'gone.user' does not exist"]})
    assert JiraGateway(DATACENTER).get_user(username="gone.user") is None


def test_a_lookup_needs_an_account(rsps):
    with pytest.raises(ValueError, match="accountId must be a non-empty string"):
        JiraGateway(CLOUD).get_user(account_id=" ")


# --- an unreadable SEN -------------------------------------------------------------------------


def test_an_unreadable_sen_is_retried_then_marked_for_a_person(rsps, config, source, redis_client):
    issue = cloud_issue(customfield_10100=SEN_OBJECT)
    # 1st: nothing written, nothing read (the body has every fact).
    first = run(issue, config, source, redis_client, undecided_retries=2)
    assert (first.status, first.deferral, first.decision.outcome) == ("deferred", 1, "undecided")
    assert [r.code.value for r in first.decision.undecided] == ["FACT_UNREADABLE"]
    assert first.decision.reasons == ()  # never SEN_MISSING
    assert len(rsps.calls) == 0
    # 2nd: the issue is read afresh (an agent may have fixed the field); still unreadable.
    read = rsps.get(f"{CLOUD.url}/rest/api/2/issue/PS-101", json={"key": "PS-101", "fields": issue["fields"],
                                                                  "properties": {}})
    second = run(issue, config, source, redis_client, undecided_retries=2)
    assert (second.status, second.deferral) == ("deferred", 2)
    assert len(read.calls) == 1
    # 3rd: retries used up -> the label and a comment naming the field, for a person.
    edit = rsps.put(f"{CLOUD.url}/rest/api/2/issue/PS-101", status=204)
    comment = rsps.post(f"{CLOUD.url}/rest/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
    prop = rsps.put(f"{CLOUD.url}/rest/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    third = run(issue, config, source, redis_client, undecided_retries=2)
    assert third.status == "written"
    assert json.loads(edit.calls[0].request.body) == {"update": {"labels": [{"add": "ps-needs-review"}]}}
    body = json.loads(comment.calls[0].request.body)["body"]
    assert body.startswith("Priority Support triage: CANNOT DECIDE. A person must check this request")
    assert ("FACT_UNREADABLE: the SEN field (customfield_10100) holds an object with keys id, self, which "
            "cannot be read as a value.") in body
    assert "SEN_MISSING" not in body and "NOT ENTITLED" not in body
    stored = json.loads(prop.calls[0].request.body)
    assert (stored["outcome"], stored["entitled"], stored["reasons"]) == ("undecided", False, [])
    assert stored["undecided"][0]["code"] == "FACT_UNREADABLE"


def test_with_no_retries_left_it_is_marked_at_once_and_a_fixed_field_decides(rsps, config, source, redis_client):
    edit = rsps.put(f"{CLOUD.url}/rest/api/2/issue/PS-101", status=204)
    rsps.post(f"{CLOUD.url}/rest/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
    rsps.put(f"{CLOUD.url}/rest/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    marked = run(cloud_issue(customfield_10100=SEN_OBJECT), config, source, redis_client, undecided_retries=0)
    assert marked.status == "written" and marked.decision.labels_add == ("ps-needs-review",)
    # An agent writes the SEN as text: the change triages again and the mark goes.
    fixed = cloud_issue(labels=["ps-needs-review"])
    rsps.get(f"{CLOUD.url}/rest/api/2/issue/PS-101", json={"key": "PS-101", "fields": fixed["fields"],
                                                           "properties": {}})
    decided = run(fixed, config, source, redis_client, read_first=True, undecided_retries=0)
    assert decided.decision.outcome == "entitled"
    labels = json.loads(edit.calls[1].request.body)["update"]["labels"]
    assert {"remove": "ps-needs-review"} in labels and {"add": "ps-l1"} in labels


# --- a Cloud reporter whose email is hidden ----------------------------------------------------


def hidden_reporter_issue():
    return cloud_issue(reporter={"accountId": HIDDEN, "displayName": "Ola Ops", "accountType": "atlassian"})


def lookup(rsps, **shown):
    return rsps.get(f"{CLOUD.url}/rest/api/3/user", match=[matchers.query_param_matcher({"accountId": HIDDEN})],
                    json={"accountId": HIDDEN, "displayName": "Ola Ops", **shown})


def test_a_hidden_email_the_lookup_cannot_reveal_is_deferred_not_reporter_not_admin(rsps, config, source,
                                                                                    redis_client):
    user = lookup(rsps)  # Cloud leaves emailAddress out when the profile hides it
    result = run(hidden_reporter_issue(), config, source, redis_client, undecided_retries=3)
    assert (result.status, result.decision.reasons) == ("deferred", ())
    assert [r.code.value for r in result.decision.undecided] == ["REPORTER_UNVERIFIED"]
    assert len(user.calls) == 1 and len(rsps.calls) == 1  # the lookup, and no write


def test_a_lookup_that_reveals_an_admin_email_entitles(rsps, config, source, redis_client):
    lookup(rsps, emailAddress="ops-admin@globex.example")
    rsps.put(f"{CLOUD.url}/rest/api/2/issue/PS-101", status=204)
    rsps.post(f"{CLOUD.url}/rest/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
    rsps.put(f"{CLOUD.url}/rest/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    result = run(hidden_reporter_issue(), config, source, redis_client, undecided_retries=3)
    assert (result.status, result.decision.outcome, result.decision.level) == ("written", "entitled", "L1")


def test_a_lookup_that_reveals_another_email_is_a_definite_reporter_not_admin(rsps, config, source, redis_client):
    lookup(rsps, emailAddress="intern@globex.example")
    rsps.put(f"{CLOUD.url}/rest/api/2/issue/PS-101", status=204)
    rsps.post(f"{CLOUD.url}/rest/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
    rsps.put(f"{CLOUD.url}/rest/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    result = run(hidden_reporter_issue(), config, source, redis_client, undecided_retries=3)
    assert result.decision.reason_codes[0].value == "REPORTER_NOT_ADMIN"


def test_an_account_the_bot_may_not_look_up_stays_undecided(rsps, config, source, redis_client):
    rsps.get(f"{CLOUD.url}/rest/api/3/user", status=403, json={"errorMessages": ["Browse users permission"]})
    result = run(hidden_reporter_issue(), config, source, redis_client, undecided_retries=1)
    assert result.status == "deferred"


def test_an_admin_known_by_account_id_needs_no_lookup(rsps, config, source, redis_client):
    rsps.put(f"{CLOUD.url}/rest/api/2/issue/PS-101", status=204)
    rsps.post(f"{CLOUD.url}/rest/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
    rsps.put(f"{CLOUD.url}/rest/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    assert run(cloud_issue(), config, source, redis_client).decision.outcome == "entitled"
    assert len(rsps.calls) == 3


# --- the task: countdowns, the audit -----------------------------------------------------------

SITE = "https://undecided.atlassian.net"


def test_the_task_retries_with_doubling_countdowns_then_marks_it(worker_services, redis_client, monkeypatch):
    monkeypatch.setenv("UNDECIDED_RETRIES", "2")
    monkeypatch.setenv("UNDECIDED_RETRY_SECONDS", "60")
    worker_services(SITE)
    body = json.loads((PAYLOADS / "cloud-entitled-l1.json").read_text())
    body["issue"]["fields"]["customfield_10100"] = SEN_OBJECT
    redis_client.set("psw:delivery:d-u:body", json.dumps(body))
    countdowns = []
    with responses.RequestsMock() as rsps, time_machine.travel("2026-11-26T10:01:00Z", tick=False):
        rsps.get(f"{SITE}/rest/api/2/issue/PS-101", json={"key": "PS-101", "fields": body["issue"]["fields"],
                                                          "properties": {}})
        edit = rsps.put(f"{SITE}/rest/api/2/issue/PS-101", status=204)
        rsps.post(f"{SITE}/rest/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
        rsps.put(f"{SITE}/rest/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
        for _ in range(3):
            with mock.patch.object(triage_request, "retry", side_effect=Retry("retry")) as retry:
                result = triage_request.apply(args=["d-u"])
            if retry.called:
                countdowns.append(retry.call_args.kwargs["countdown"])
        assert countdowns == [60, 120]
        assert result.get()["status"] == "written" and len(edit.calls) == 1
    trail = [json.loads(e) for e in reversed(redis_client.lrange("psw:audit:PS-101", 0, -1))]
    triages = [e for e in trail if e["kind"] == "triage"]
    assert [(e["outcome"], e["decision"]) for e in triages] == [
        ("deferred", "undecided"), ("deferred", "undecided"), ("written", "undecided")]
    assert [e.get("retry_in") for e in triages] == [60, 120, None]
    assert triages[0]["undecided"][0]["code"] == "FACT_UNREADABLE"
    assert "customfield_10100" in triages[0]["undecided"][0]["detail"]
    assert triages[-1]["writes"]["edit"]["update"] == {"labels": [{"add": "ps-needs-review"}]}


def test_data_center_looks_the_reporter_up_by_user_name(rsps, config, source, redis_client):
    issue = cloud_issue(reporter={"name": "ola.ops", "key": "JIRAUSER10009", "displayName": "Ola Ops"})
    rsps.get(f"{DATACENTER.url}/rest/api/2/user", match=[matchers.query_param_matcher({"username": "ola.ops"})],
             json={"name": "ola.ops", "key": "JIRAUSER10009", "emailAddress": "ops-admin@globex.example"})
    rsps.put(f"{DATACENTER.url}/rest/api/2/issue/PS-101", status=204)
    rsps.post(f"{DATACENTER.url}/rest/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
    rsps.put(f"{DATACENTER.url}/rest/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    result = run(issue, config, source, redis_client, site=DATACENTER, undecided_retries=3)
    assert (result.status, result.decision.outcome) == ("written", "entitled")
