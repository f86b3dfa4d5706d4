"""Issue 12: shadow mode (SHADOW_MODE=1) covers every write. The gateway holds back each write and
records it in the issue's audit; triage, reminder firing and the sweep write nothing (`responses`
is strict: any request not registered fails the test)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import responses

from tests.component.conftest import decision_property, make_services
from tests.component.test_reminder_firing import AT, CHAT, CREATED, SETTINGS, Jira, sla
from worker.audit import AuditTrail
from worker.config.loader import default_config_path, load_config
from worker.entitlement.sources import FileSource
from worker.jira.gateway import JiraGateway, shadow_writes
from worker.reminders import schedule_for_decision
from worker.reminders.dispatch import dispatch_due
from worker.reminders.firing import fire
from worker.reminders.reconcile import reconcile
from worker.reminders.store import ReminderStore
from worker.triage import PROPERTY, triage

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
ALL = ["50", "75", "90", "100"]


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def shadow(redis_url, redis_client, site):
    return make_services(redis_url, redis_client, site, SHADOW_MODE="1")


def shadow_writes_of(services, key="PS-1"):
    return [(e["operation"], e["would_write"]) for e in reversed(services.audit.entries(key))
            if e["kind"] == "shadow_write"]


def test_the_gateway_holds_back_every_write_and_records_it(redis_client, site, rsps):
    audit = AuditTrail(redis_client)
    gateway = JiraGateway(site, shadow=shadow_writes(audit))
    gateway.edit_issue("PS-1", fields={"priority": {"name": "Highest"}}, update={"labels": [{"add": "ps-l1"}]})
    gateway.add_internal_comment("PS-1", "Priority Support triage: ENTITLED.")
    gateway.set_property("PS-1", PROPERTY, {"decision_id": "d1"})
    gateway.delete_property("PS-1", PROPERTY)
    assert len(rsps.calls) == 0
    assert [(e["operation"], e["would_write"]) for e in reversed(audit.entries("PS-1"))] == [
        ("edit_issue", {"fields": {"priority": {"name": "Highest"}}, "update": {"labels": [{"add": "ps-l1"}]}}),
        ("add_internal_comment", {"body": "Priority Support triage: ENTITLED.", "public": False}),
        ("set_property", {"property": PROPERTY, "value": {"decision_id": "d1"}}),
        ("delete_property", {"property": PROPERTY}),
    ]
    assert gateway.call_log == [(op, "shadow") for op in
                                ("edit_issue", "add_internal_comment", "set_property", "delete_property")]
    # Reads still go out: shadow mode decides from the real issue.
    rsps.get(f"{site.url}/rest/api/2/issue/PS-1", json={"key": "PS-1", "fields": {}})
    assert gateway.get_issue("PS-1")["key"] == "PS-1"


def test_the_settings_build_a_shadow_gateway(redis_client, site):
    from worker.settings import Settings
    settings = Settings(redis_url="redis://unused/0", jira=site, shadow_mode=True)
    assert JiraGateway.from_settings(settings, audit=AuditTrail(redis_client)).shadow
    assert not JiraGateway.from_settings(Settings(redis_url="redis://unused/0", jira=site)).shadow


def test_a_triage_whose_caller_forgot_shadow_mode_still_writes_nothing(redis_client, site, rsps):
    # "Whatever writes later": the guarantee is the gateway's, not each caller's.
    config = load_config(default_config_path())
    source = FileSource(config.resolve(config.entitlement.path), frozenset(config.regions))
    issue = json.loads((PAYLOADS / "cloud-entitled-l1.json").read_text())["issue"]
    audit = AuditTrail(redis_client)
    result = triage(issue=issue, delivery_id="d-1", config=config, source=source,
                    gateway=JiraGateway(site, shadow=shadow_writes(audit)), redis_client=redis_client,
                    now=datetime(2026, 11, 26, 10, 1, tzinfo=timezone.utc))
    assert len(rsps.calls) == 0
    ops = [e["operation"] for e in reversed(audit.entries("PS-101"))]
    assert ops == ["edit_issue", "add_internal_comment", "set_property"]
    assert result.decision.level == "L1"


def test_a_reminder_firing_in_shadow_mode_posts_nothing_and_leaves_no_fired_mark(shadow, site, rsps, monkeypatch):
    monkeypatch.setenv("PSW_CHAT_WEBHOOK_URL", CHAT)  # the 90 % reminder would post to chat as well
    prop = decision_property("L1", CREATED, CREATED)
    schedule_for_decision(shadow, "PS-1", prop, CREATED)  # scheduled before shadow mode began
    store = ReminderStore(shadow.redis)
    dispatch_due(store, lambda n: n.encode(), "test-q", AT["90"], timedelta(minutes=5))
    jira = Jira(rsps, site)
    jira.issue(prop)
    jira.sla(sla(stopped=False))
    jira.comments([])
    outcome = fire(shadow, "PS-1|90", AT["90"], SETTINGS)
    assert outcome.status == "shadow"
    assert [c.request.method for c in rsps.calls] == ["GET", "GET", "GET"]  # reads only; no chat call
    ops = [op for op, _ in shadow_writes_of(shadow)]
    assert ops == ["edit_issue", "post_chat", "add_internal_comment"]
    posted = dict(shadow_writes_of(shadow))["add_internal_comment"]["body"]
    assert "L1 initial response due" in posted
    assert CHAT not in json.dumps(shadow.audit.entries("PS-1"))  # the chat URL is a secret
    assert store.fired_codes("PS-1", 1, ["90"]) == set()  # fires for real once shadow mode is off
    assert "90" not in store.scheduled("PS-1", ALL)
    [entry] = [e for e in shadow.audit.entries("PS-1") if e["kind"] == "reminder"]
    assert entry["outcome"] == "shadow" and entry["would"] == ["labels ps-sla-at-risk", "chat", "comment"]


def test_the_sweep_in_shadow_mode_rebuilds_nothing_so_no_reminder_comment_goes_out(shadow, site, rsps):
    # The issue's reproduction: a request with a triage property, its reminders not in Redis, 50 %
    # passed. The sweep rebuilt them and the 50 % comment was posted. Now: nothing scheduled.
    from tests.component.test_reminders_check_and_reconcile import Search, issue, sweep_settings
    from worker.reminders.reconcile import open_jql
    now = CREATED + timedelta(minutes=31)
    rs = sweep_settings()
    Search(rsps, site).answer(open_jql(shadow.config(), rs), [issue(site, "PS-1", decision_property(
        "L1", CREATED, CREATED))])
    report = reconcile(shadow, now, lambda *a: pytest.fail("nothing to triage"), rs)
    assert report.rebuilt == {} and [c.request.method for c in rsps.calls] in (["POST"], ["GET"])  # the search
    store = ReminderStore(shadow.redis)
    assert store.scheduled("PS-1", ALL) == {}
    assert dispatch_due(store, lambda n: n.encode(), "test-q", now, timedelta(minutes=5)).queued == 0


def test_once_shadow_mode_is_off_the_sweep_puts_the_shadow_fired_reminder_back(redis_url, redis_client, site, rsps):
    from tests.component.test_reminders_check_and_reconcile import Search, issue, sweep_settings
    from worker.reminders.reconcile import half_done_jql, open_jql, untriaged_jql
    live = make_services(redis_url, redis_client, site)
    prop = decision_property("L1", CREATED, CREATED)
    now = AT["90"] + timedelta(minutes=1)
    search, rs = Search(rsps, site), sweep_settings()
    search.answer(untriaged_jql(live.config(), rs), [])
    search.answer(half_done_jql(live.config(), rs), [])
    search.answer(open_jql(live.config(), rs), [issue(site, "PS-1", prop)])
    report = reconcile(live, now, lambda *a: None, rs)
    assert report.rebuilt == {"PS-1": ["90", "100"]}  # the highest passed (90 %, fired only in shadow) and 100 %
