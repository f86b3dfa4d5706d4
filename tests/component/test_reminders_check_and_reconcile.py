"""After an event: the check for a first response; and the reconciliation sweep (`responses`)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import responses
from responses import matchers

from tests.component.conftest import decision_property, make_services
from worker.reminders import schedule_for_decision
from worker.reminders.firing import check_request
from worker.reminders.reconcile import half_done_jql, open_jql, reconcile, untriaged_jql
from worker.settings import ReminderSettings
from worker.reminders.store import ReminderStore

UTC = timezone.utc
CREATED = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
NOW = CREATED + timedelta(minutes=20)
SETTINGS = ReminderSettings()
ALL = ["50", "75", "90", "100"]


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def issue(site, key, prop, state=("Waiting for support", "new")):
    return {"id": str(10000 + int(key.split("-")[1])), "key": key,
            "fields": {"summary": "Down", "status": {"name": state[0], "statusCategory": {"key": state[1]}},
                       "reporter": {"accountId": "r", "name": "r"}, "labels": []},
            "properties": {"priority-support": prop} if prop is not None else {}}


def page(values):
    return {"isLastPage": True, "values": values}


# -- the check after an event -----------------------------------------------------------------


def test_a_check_for_an_issue_without_pending_reminders_calls_no_jira(services, rsps):
    assert check_request(services, "PS-1", "comment 10001", SETTINGS).status == "nothing_pending"
    assert len(rsps.calls) == 0


def test_a_check_by_issue_id_finds_the_key_and_cancels_an_answered_cycle(services, site, rsps):
    prop = decision_property("L1", CREATED, CREATED)
    schedule_for_decision(services, "PS-1", prop, CREATED)
    rsps.get(f"{site.url}/rest/api/2/issue/10001", json=issue(site, "PS-1", prop))
    rsps.get(f"{site.url}/rest/servicedeskapi/request/PS-1/sla",
             json=page([{"name": "Time to first response", "completedCycles": [{}]}]))
    outcome = check_request(services, "10001", "comment 10001", SETTINGS)
    assert (outcome.status, outcome.issue_key) == ("cancelled", "PS-1")
    assert ReminderStore(services.redis).scheduled("PS-1", ALL) == {}
    [entry] = [e for e in services.audit.entries("PS-1") if e["kind"] == "reminders_cancelled"]
    assert entry["reason"] == "comment 10001: SLA 'Time to first response' cycle 1 stopped"
    assert sorted(entry["removed"], key=float) == ALL


def test_a_check_that_finds_no_response_leaves_the_reminders(services, site, rsps):
    prop = decision_property("L1", CREATED, CREATED)
    schedule_for_decision(services, "PS-1", prop, CREATED)
    rsps.get(f"{site.url}/rest/api/2/issue/PS-1", json=issue(site, "PS-1", prop))
    rsps.get(f"{site.url}/rest/servicedeskapi/request/PS-1/sla",
             json=page([{"name": "Time to first response", "completedCycles": [], "ongoingCycle": {}}]))
    assert check_request(services, "PS-1", "comment 10001", SETTINGS).status == "still_waiting"
    assert len(ReminderStore(services.redis).scheduled("PS-1", ALL)) == 4


# -- the reconciliation sweep ------------------------------------------------------------------


def test_the_sweeps_ask_jira_for_untriaged_and_open_triaged_requests(offline):
    config = offline.config()
    assert untriaged_jql(config, SETTINGS) == (
        'created >= -1440m AND created <= -5m AND (labels IS EMPTY OR labels NOT IN '
        '("priority-support", "ps-not-entitled")) ORDER BY created ASC')
    scoped = ReminderSettings(reconcile_scope_jql="project = PS", open_lookback_days=7)
    assert open_jql(config, scoped) == (
        '(project = PS) AND labels IN ("priority-support") AND statusCategory != Done AND created >= -7d '
        'ORDER BY created ASC')


class Search:
    """Jira's search answers for each sweep, in each deployment's API."""

    def __init__(self, rsps, site):
        self.rsps, self.site = rsps, site

    def answer(self, jql: str, issues: list[dict]):
        if self.site.is_cloud:
            self.rsps.post(f"{self.site.url}/rest/api/2/search/jql", json={"issues": issues, "isLast": True},
                           match=[matchers.json_params_matcher({"jql": jql, "maxResults": 100, "fields": ["created"],
                                                                "properties": ["priority-support"]})])
        else:
            self.rsps.get(f"{self.site.url}/rest/api/2/search", json={"issues": issues, "total": len(issues)},
                          match=[matchers.query_param_matcher({"jql": jql, "startAt": "0", "maxResults": "100",
                                                               "fields": "created",
                                                               "properties": "priority-support"})])


def sweep_settings() -> ReminderSettings:
    return ReminderSettings(reconcile_max_issues=100)


def test_a_request_whose_webhook_never_came_is_queued_for_triage_once(services, site, rsps):
    search = Search(rsps, site)
    config, rs = services.config(), sweep_settings()
    triaged = issue(site, "PS-3", {"entitled": False})  # labels removed by hand; the property says triaged
    for _ in range(2):
        search.answer(untriaged_jql(config, rs), [issue(site, "PS-2", None), triaged])
        search.answer(half_done_jql(config, rs), [])
        search.answer(open_jql(config, rs), [])
    queued = []
    first = reconcile(services, NOW, lambda key, reason: queued.append((key, reason)), rs)
    assert first.queued_for_triage == ["PS-2"] and first.untriaged_seen == 2
    assert queued == [("PS-2", "reconcile: no triage on the issue (its webhook never came?)")]
    second = reconcile(services, NOW, lambda key, reason: queued.append((key, reason)), rs)
    assert second.queued_for_triage == [] and len(queued) == 1  # not again within the hour


def test_after_redis_is_wiped_one_sweep_restores_every_pending_reminder(services, site, rsps):
    props = {f"PS-{n}": decision_property(level, CREATED, CREATED, key=f"PS-{n}")
             for n, level in ((1, "L1"), (2, "L2"), (3, "L3"), (4, "L4"))}
    for key, prop in props.items():
        schedule_for_decision(services, key, prop, CREATED)
    store = ReminderStore(services.redis)
    before = {key: store.scheduled(key, ALL) for key in props}
    assert sum(len(v) for v in before.values()) == 16
    services.redis.flushdb()

    search = Search(rsps, site)
    config, rs = services.config(), sweep_settings()
    search.answer(untriaged_jql(config, rs), [])
    search.answer(half_done_jql(config, rs), [])
    search.answer(open_jql(config, rs), [issue(site, key, prop) for key, prop in props.items()])
    report = reconcile(services, CREATED + timedelta(minutes=1), lambda *a: pytest.fail("nothing to triage"), rs)
    assert {key: store.scheduled(key, ALL) for key in props} == before
    assert sorted(report.rebuilt) == sorted(props)


def test_a_sweep_leaves_fired_claimed_and_answered_reminders_alone(services, site, rsps):
    prop1 = decision_property("L1", CREATED, CREATED, key="PS-1")
    prop2 = decision_property("L1", CREATED, CREATED, key="PS-2")
    store = ReminderStore(services.redis)
    now = CREATED + timedelta(minutes=50)  # L1: 50 and 75 % passed, 90 and 100 % ahead
    store.mark_fired("PS-1", 1, "75")  # 75 % fired; 50 % fell under the catch-up rule
    services.redis.zadd("psw:reminders:claimed", {"PS-1|90": 1.0})  # being fired right now
    store.settle("PS-2", 1)  # PS-2 was answered
    search = Search(rsps, site)
    config, rs = services.config(), sweep_settings()
    search.answer(untriaged_jql(config, rs), [])
    search.answer(half_done_jql(config, rs), [])
    search.answer(open_jql(config, rs), [issue(site, "PS-1", prop1), issue(site, "PS-2", prop2),
                                         issue(site, "PS-5", {"entitled": "broken"})])
    report = reconcile(services, now, lambda *a: None, rs)
    assert report.rebuilt == {"PS-1": ["100"]}
    assert store.scheduled("PS-2", ALL) == {}


def test_shadow_mode_neither_triages_nor_rebuilds(redis_url, redis_client, site, rsps):
    # Issue 12: in shadow mode the sweep rebuilt reminders of a triaged request and a 50 % comment
    # went out. A shadow reminder leaves no fired mark, so the sweep must not put one back at all;
    # it still reads the open requests (the console's board).
    services = make_services(redis_url, redis_client, site, SHADOW_MODE="1")
    rs = sweep_settings()
    prop = decision_property("L1", CREATED, CREATED, key="PS-1")
    Search(rsps, site).answer(open_jql(services.config(), rs), [issue(site, "PS-1", prop)])
    report = reconcile(services, NOW + timedelta(minutes=11), lambda *a: pytest.fail("nothing to triage"), rs)
    assert (report.untriaged_seen, report.open_seen, report.rebuilt) == (0, 1, {})
    assert len(rsps.calls) == 1  # the open search; no untriaged or half-done search
    assert ReminderStore(services.redis).scheduled("PS-1", ALL) == {}
