"""The worker keeps the console's index of open requests (worker/open_requests.py): the triage
writes a row, a first response marks it, a resolution takes it off, the sweep heals it."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import responses
import time_machine

from tests.http.sites import CLOUD
from tests.component.conftest import decision_property
from tests.component.test_reminders_check_and_reconcile import SETTINGS, Search, issue, page, sweep_settings
from worker import open_requests
from worker.config.loader import default_config_path, load_config
from worker.entitlement.sources import FileSource
from worker.jira.gateway import JiraGateway
from worker.reminders import schedule_for_decision
from worker.reminders.firing import check_request
from worker.reminders.reconcile import half_done_jql, open_jql, reconcile, untriaged_jql
from worker.reminders.tasks import request_changed
from worker.triage import PROPERTY, triage

UTC = timezone.utc
CREATED = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
PAYLOAD = json.loads((__import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
                      / "cloud-entitled-l1.json").read_text())


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def test_a_triage_that_writes_its_decision_puts_the_request_on_the_board(rsps, redis_client):
    config = load_config(default_config_path())
    base = f"{CLOUD.url}/rest"
    rsps.put(f"{base}/api/2/issue/PS-101", status=204)
    rsps.post(f"{base}/servicedeskapi/request/PS-101/comment", status=201, json={"id": "1"})
    rsps.put(f"{base}/api/2/issue/PS-101/properties/{PROPERTY}", status=201)
    now = datetime(2026, 11, 26, 10, 1, tzinfo=UTC)
    result = triage(issue=PAYLOAD["issue"], delivery_id="d-1", config=config,
                    source=FileSource(config.resolve(config.entitlement.path), frozenset(config.regions)),
                    gateway=JiraGateway(CLOUD), redis_client=redis_client, now=now)
    assert result.status == "written"
    [row], _ = open_requests.rows(redis_client)
    assert (row["key"], row["level"], row["customer"], row["decision_id"]) == (
        "PS-101", "L1", "Globex Corporation", result.decision_id)
    assert row["summary"] == PAYLOAD["issue"]["fields"]["summary"]
    assert open_requests.decision(redis_client, "PS-101") == result.property


def test_a_first_response_marks_the_row_responded(services, site, rsps):
    prop = decision_property("L1", CREATED, CREATED)
    schedule_for_decision(services, "PS-1", prop, CREATED)
    open_requests.record(services.redis, "PS-1", prop, {"summary": "Down"})
    rsps.get(f"{site.url}/rest/api/2/issue/PS-1", json=issue(site, "PS-1", prop))
    rsps.get(f"{site.url}/rest/servicedeskapi/request/PS-1/sla",
             json=page([{"name": "Time to first response", "completedCycles": [{}]}]))
    with time_machine.travel(CREATED + timedelta(minutes=20), tick=False):
        assert check_request(services, "PS-1", "comment 10001", SETTINGS).status == "cancelled"
    _, responded = open_requests.rows(services.redis)
    assert responded["PS-1"]["at"] == (CREATED + timedelta(minutes=20)).timestamp()
    assert responded["PS-1"]["how"] == "SLA 'Time to first response' cycle 1 stopped"


def test_a_resolution_found_by_the_check_takes_the_request_off(services, site, rsps):
    prop = decision_property("L1", CREATED, CREATED)
    schedule_for_decision(services, "PS-1", prop, CREATED)
    open_requests.record(services.redis, "PS-1", prop)
    rsps.get(f"{site.url}/rest/api/2/issue/PS-1", json=issue(site, "PS-1", prop, state=("Done", "done")))
    with time_machine.travel(CREATED + timedelta(hours=2), tick=False):  # an hour after the due time
        assert check_request(services, "PS-1", "status changed to Done", SETTINGS).status == "cancelled"
    assert open_requests.rows(services.redis) == ([], {})
    [breach] = open_requests.breach_history(services.redis, CREATED)
    assert breach["member"] == "PS-1|1"


def test_a_resolution_webhook_takes_the_request_off_with_no_reminder_pending(worker_services, redis_client):
    worker_services("https://tasks.atlassian.net")
    prop = decision_property("L1", CREATED, CREATED)
    open_requests.record(redis_client, "PS-9", prop)
    open_requests.answered(redis_client, "PS-9", "responded", "comment")  # reminders long cancelled
    body = {"webhookEvent": "jira:issue_updated",
            "issue": {"key": "PS-9", "fields": {"status": {"name": "Done", "statusCategory": {"key": "done"}}}},
            "changelog": {"items": [{"field": "status", "fieldtype": "jira", "fieldId": "status",
                                     "fromString": "Waiting for customer", "toString": "Done"}]}}
    redis_client.set("psw:delivery:d-9:body", json.dumps(body))
    result = request_changed.apply(args=["d-9"]).get()
    assert result["outcome"] == "nothing_pending"  # no Jira call
    assert open_requests.rows(redis_client) == ([], {})


def test_after_a_wipe_the_sweep_puts_rows_back_and_drops_closed_ones(services, site, rsps):
    props = {f"PS-{n}": decision_property(level, CREATED, CREATED, key=f"PS-{n}")
             for n, level in ((1, "L1"), (2, "L3"))}
    with time_machine.travel(CREATED, tick=False):
        open_requests.record(services.redis, "PS-7", decision_property("L3", CREATED, CREATED, key="PS-7"))
    search = Search(rsps, site)
    config, rs = services.config(), sweep_settings()
    search.answer(untriaged_jql(config, rs), [])
    search.answer(half_done_jql(config, rs), [])
    search.answer(open_jql(config, rs), [issue(site, key, prop) for key, prop in props.items()])
    with time_machine.travel(CREATED + timedelta(minutes=1), tick=False):
        reconcile(services, CREATED + timedelta(minutes=1), lambda *a: None, rs)
    rows, _ = open_requests.rows(services.redis)
    assert sorted(row["key"] for row in rows) == ["PS-1", "PS-2"]  # PS-7 is no longer open in Jira
