"""Issue 12 through the webhook: a comment_created posted to the intake as its site sends it, then the
worker's task (`request_changed`, in-process) against Jira (`responses`) on a site without the
first-response SLA. A request participant's public comment leaves the reminders; an agent's
cancels them (docs/POLICY.md 5). Data Center tells them by the author's licences, or, where the
lookup is refused, by the request participants field."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
import responses
import time_machine
from responses import matchers

from tests.component.conftest import decision_property
from tests.component.test_webhook_fixtures import CLOUD_DELIVERY, body, post_as_the_site_does, raw
from worker import runtime
from worker.reminders import schedule_for_decision
from worker.reminders.participants import FIELD_KEY
from worker.reminders.store import ReminderStore
from worker.reminders.tasks import request_changed

UTC = timezone.utc
CREATED = datetime(2026, 11, 18, 13, 5, tzinfo=UTC)
CHECKED = CREATED + timedelta(minutes=40)  # the L1 request's 50 % reminder has not fired yet
ALL = ["50", "75", "90", "100"]
CLOUD_URL, DC_URL = "https://psw-demo.atlassian.net", "http://jira.psw-demo.test:8080"
PARTICIPANTS_FIELD = "customfield_10026"
# The service desk API names a comment's author without an account type, on both deployments.
DC_REPORTER = {"name": "stark.admin", "key": "JIRAUSER10207", "displayName": "Stian Stark"}
DC_PARTICIPANT = {"name": "tony.stark-ops", "key": "JIRAUSER10233", "displayName": "Toni Stark (Ops)"}
DC_AGENT = {"name": "sam.support", "key": "JIRAUSER10002", "displayName": "Sam Support"}
CLOUD_REPORTER = {"accountId": "557058:11111111-aaaa-4bbb-8ccc-000000000001", "displayName": "Gia Globex"}
CLOUD_AGENT = {"accountId": "712020:5c0ffee0-7d1e-4c2b-9a55-00000000a9e7", "displayName": "Sam Support"}


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def worker_on(worker_services, monkeypatch):
    def build(deployment: str):
        if deployment == "cloud":
            return worker_services(CLOUD_URL)
        worker_services(DC_URL)
        monkeypatch.delenv("JIRA_API_TOKEN")
        monkeypatch.delenv("JIRA_EMAIL")
        monkeypatch.setenv("JIRA_PAT", "dc-fixture-token")
        runtime.services.cache_clear()
        return runtime.services()
    return build


def page(values):
    return {"size": len(values), "start": 0, "limit": 100, "isLastPage": True, "values": values}


def an_open_request(services, site_url: str, key: str, ref: str, reporter: dict, rsps) -> dict:
    """PS-nnn triaged L1 with its four reminders pending; Jira answers the check's first reads:
    the issue, and SLAs without "Time to first response" (this site has no such SLA)."""
    prop = decision_property("L1", CREATED, CREATED, key=key)
    schedule_for_decision(services, key, prop, CREATED)
    issue = {"id": ref, "key": key, "fields": {"summary": "Mesh sidecar times out", "labels": ["ps-l1"],
                                               "status": {"name": "Waiting for support",
                                                          "statusCategory": {"key": "new"}},
                                               "reporter": reporter},
             "properties": {"priority-support": prop}}
    rsps.get(f"{site_url}/rest/api/2/issue/{ref}", json=issue,
             match=[matchers.query_param_matcher({"fields": "summary,status,reporter,labels",
                                                  "properties": "priority-support"})])
    rsps.get(f"{site_url}/rest/servicedeskapi/request/{key}/sla",
             json=page([{"id": "2", "name": "Time to resolution", "completedCycles": [], "ongoingCycle": {}}]))
    return prop


def comments(rsps, site_url, key, *entries):
    rsps.get(f"{site_url}/rest/servicedeskapi/request/{key}/comment",
             json=page([{"id": cid, "body": "text", "public": public, "author": author}
                        for cid, author, public in entries]))


def dc_licences(rsps, user, licensed: bool):
    """Data Center's user lookup with the applications the user may use (none: a JSM customer)."""
    items = [{"key": "jira-servicedesk", "name": "Jira Service Management"}] if licensed else []
    rsps.get(f"{DC_URL}/rest/api/2/user", json={**user, "applicationRoles": {"size": len(items), "items": items}},
             match=[matchers.query_param_matcher({"username": user["name"], "expand": "applicationRoles"})])


def participants(rsps, site_url, key, users):
    rsps.get(f"{site_url}/rest/api/2/field", json=[
        {"id": "reporter", "name": "Reporter", "custom": False, "schema": {"type": "user", "system": "reporter"}},
        {"id": PARTICIPANTS_FIELD, "name": "Request participants", "custom": True,
         "schema": {"type": "array", "items": "user",
                    "custom": "com.atlassian.servicedesk:sd-request-participants", "customId": 10026}}])
    rsps.get(f"{site_url}/rest/api/2/issue/{key}", json={"key": key, "fields": {PARTICIPANTS_FIELD: users}},
             match=[matchers.query_param_matcher({"fields": PARTICIPANTS_FIELD})])


def delivered(client, name: str) -> str:
    resp = post_as_the_site_does(client, name)
    assert resp.status_code == 202, resp.get_json()
    return CLOUD_DELIVERY if name.startswith("cloud-") else hashlib.sha256(raw(name)).hexdigest()


@pytest.mark.parametrize("told_by", ["licence", "participants"])
def test_a_data_center_participants_public_comment_leaves_every_reminder(client, worker_on, redis_client, rsps,
                                                                         told_by):
    services = worker_on("datacenter")
    an_open_request(services, DC_URL, "PS-388", "10388", DC_REPORTER, rsps)
    comments(rsps, DC_URL, "PS-388", ("10414", DC_PARTICIPANT, True))
    if told_by == "licence":
        dc_licences(rsps, DC_PARTICIPANT, licensed=False)
    else:  # the lookup refused (no Browse users): the request participants field decides
        rsps.get(f"{DC_URL}/rest/api/2/user", status=403, json={"errorMessages": ["Browse users permission"]})
        participants(rsps, DC_URL, "PS-388", [DC_REPORTER, DC_PARTICIPANT])
    delivery = delivered(client, "dc-comment-created-by-participant.json")
    with time_machine.travel(CHECKED, tick=False):
        result = request_changed.apply(args=[delivery]).get()
    assert (result["issue"], result["check"], result["outcome"]) == ("PS-388", "comment 10414", "still_waiting")
    assert sorted(ReminderStore(redis_client).scheduled("PS-388", ALL), key=float) == ALL
    assert not [e for e in services.audit.entries("PS-388") if e["kind"] == "reminders_cancelled"]
    if told_by == "participants":
        assert redis_client.get(FIELD_KEY) == PARTICIPANTS_FIELD.encode()  # the field list: once a day


def test_a_data_center_agents_public_comment_cancels_the_reminders(client, worker_on, redis_client, rsps):
    services = worker_on("datacenter")
    an_open_request(services, DC_URL, "PS-388", "10388", DC_REPORTER, rsps)
    comments(rsps, DC_URL, "PS-388", ("10414", DC_PARTICIPANT, True), ("10415", DC_AGENT, True))
    dc_licences(rsps, DC_PARTICIPANT, licensed=False)
    dc_licences(rsps, DC_AGENT, licensed=True)
    delivery = delivered(client, "dc-comment-created.json")
    with time_machine.travel(CHECKED, tick=False):
        result = request_changed.apply(args=[delivery]).get()
    assert (result["issue"], result["outcome"]) == ("PS-388", "cancelled")
    assert ReminderStore(redis_client).scheduled("PS-388", ALL) == {}
    [entry] = [e for e in services.audit.entries("PS-388") if e["kind"] == "reminders_cancelled"]
    assert entry["reason"] == "comment 10415: public comment 10415 by an agent"


def test_a_cloud_customers_comment_is_answered_ignored_and_queues_no_check(client, redis_client):
    resp = post_as_the_site_does(client, "cloud-comment-created-by-participant.json")
    assert (resp.status_code, resp.get_json()) == (200, {"status": "ignored", "event": "comment_created",
                                                         "reason": "a comment by a customer"})
    assert redis_client.lrange("psw", 0, -1) == []
    assert body("cloud-comment-created-by-participant.json")["comment"]["author"]["accountType"] == "customer"


def test_a_cloud_agents_public_comment_cancels_once_the_author_is_looked_up(client, worker_on, redis_client, rsps):
    services = worker_on("cloud")
    an_open_request(services, CLOUD_URL, "PS-231", "PS-231", CLOUD_REPORTER, rsps)
    comments(rsps, CLOUD_URL, "PS-231", ("10587", CLOUD_AGENT, True))
    rsps.get(f"{CLOUD_URL}/rest/api/3/user", json={**CLOUD_AGENT, "accountType": "atlassian"},
             match=[matchers.query_param_matcher({"accountId": CLOUD_AGENT["accountId"]})])
    delivery = delivered(client, "cloud-comment-created-public.json")
    with time_machine.travel(CHECKED, tick=False):
        result = request_changed.apply(args=[delivery]).get()
    assert (result["issue"], result["outcome"]) == ("PS-231", "cancelled")
    assert ReminderStore(redis_client).scheduled("PS-231", ALL) == {}
    [entry] = [e for e in services.audit.entries("PS-231") if e["kind"] == "reminders_cancelled"]
    assert entry["reason"] == "comment 10587: public comment 10587 by an agent"
