"""Triage on the simulator through the whole stack: what ends up on each request."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import requests

from tests.integration import processes
from tests.integration.conftest import ADMIN_TOKEN, ENTITLED


def triaged(sim, key):
    return sim.properties(key).get("priority-support")


def jira_writes(sim, key):
    """Calls that change the issue: edits, comments, property writes."""
    return [c for c in sim.calls if c.method in {"PUT", "POST"} and key in c.path]


def create_and_wait(sim, **fields):
    key = sim.create_request(summary=fields.pop("summary", "Something is wrong"), **fields)["issueKey"]
    sim.wait_for(lambda: triaged(sim, key), timeout=15)
    return key


def audit(web_port, key):
    resp = requests.get(f"http://127.0.0.1:{web_port}/admin/issues/{key}",
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=5)
    return resp.json()["entries"]


@pytest.mark.parametrize("level, priority", [("L1", "Highest"), ("L2", "High"), ("L3", "Medium"), ("L4", "Low")])
def test_entitled_request_gets_level_priority_fields_labels_property_and_one_comment(sim, worker, level, priority):
    key = create_and_wait(sim, severity=level, **ENTITLED)
    fields = sim.issue(key)["fields"]
    assert {"priority-support", f"ps-{level.lower()}"} <= set(fields["labels"])
    assert fields["priority"]["name"] == priority
    assert fields["customfield_10110"] == level
    assert fields["customfield_10111"].endswith("+0000")
    assert fields["customfield_10112"] == "entitled"
    prop = triaged(sim, key)
    assert (prop["level"], prop["entitled"], prop["customer"]) == (level, True, "Globex Corporation")
    [comment] = sim.comments(key)
    assert comment["public"] is False
    assert comment["body"].startswith("Priority Support triage: ENTITLED.")
    assert ("phone support" in comment["body"]) == (level == "L1")
    assert len(jira_writes(sim, key)) == 3  # one edit, one comment, one property


def test_not_entitled_request_gets_reason_labels_and_comment_only(sim, worker):
    key = create_and_wait(sim, severity="L1", sen="SEN-99999999", product="Jira Software",
                          version="10.3.4", environment="Production", reporter="ops-admin@globex.example")
    fields = sim.issue(key)["fields"]
    assert {"ps-not-entitled", "ps-reason-sen_unknown"} <= set(fields["labels"])
    assert "priority-support" not in fields["labels"]
    assert fields.get("customfield_10110") is None and fields.get("customfield_10111") is None
    [comment] = sim.comments(key)
    assert "NOT ENTITLED" in comment["body"] and "SEN_UNKNOWN" in comment["body"]


def test_redelivery_and_late_delivery_write_nothing_more(sim, worker, fresh):
    key = create_and_wait(sim, severity="L2", **ENTITLED)
    before = len(jira_writes(sim, key))
    [delivery] = [d for d in sim.deliveries if d.event == "jira:issue_created" and d.issue_key == key]
    sim.resend(delivery.id)  # a redelivery: answered as a duplicate
    # A late delivery after the dedupe window: queued again, triaged again, writes nothing.
    for seen in fresh.scan_iter("psw:delivery:*:seen"):
        fresh.delete(seen)
    sim.resend(delivery.id)
    sim.wait_for_webhooks()
    time.sleep(1.5)
    assert len(jira_writes(sim, key)) == before
    assert len(sim.comments(key)) == 1


def test_a_field_jira_rejects_is_reported_and_the_rest_written(sim, worker, web_port):
    sim.set_field_on_screen("customfield_10111", False)
    try:
        key = create_and_wait(sim, severity="L3", **ENTITLED)
    finally:
        sim.set_field_on_screen("customfield_10111", True)
    fields = sim.issue(key)["fields"]
    assert fields["customfield_10110"] == "L3" and fields.get("customfield_10111") is None
    # The audit is recorded after the property write that create_and_wait waits for (a race under load).
    [entry] = sim.wait_for(lambda: [e for e in audit(web_port, key) if e["kind"] == "triage"], timeout=15)
    assert list(entry["rejected_fields"]) == ["customfield_10111"]


def test_shadow_mode_writes_nothing_and_the_audit_shows_what_it_would_have(sim, fresh, web, web_port,
                                                                             stack_env, tmp_path):
    shadow = processes.worker({**stack_env, "SHADOW_MODE": "1"}, tmp_path, name="shadow")
    try:
        key = sim.create_request(summary="Shadow", severity="L1", **ENTITLED)["issueKey"]
        sim.wait_for(lambda: audit(web_port, key), timeout=15)
    finally:
        shadow.stop()
    assert jira_writes(sim, key) == []
    assert sim.comments(key) == []
    [entry] = audit(web_port, key)
    assert entry["outcome"] == "shadow" and entry["shadow"] is True
    assert entry["would_write"]["edit"]["fields"]["priority"] == {"name": "Highest"}
    assert entry["would_write"]["comment"].startswith("Priority Support triage: ENTITLED.")


def test_a_config_edit_is_used_by_the_next_triage_and_a_broken_one_changes_nothing(
        sim, worker, web_port, config_file):
    original = config_file.read_text()
    try:
        first = triaged(sim, create_and_wait(sim, severity="L1", **ENTITLED))["config_version"]
        config_file.write_text(original.replace("jira_priority: Highest", "jira_priority: High", 1))
        time.sleep(2.5)  # the worker looks at the file every 2 s
        key = create_and_wait(sim, severity="L1", **ENTITLED)
        edited = triaged(sim, key)["config_version"]
        assert edited != first and sim.issue(key)["fields"]["priority"]["name"] == "High"

        config_file.write_text(original.replace("\nlevels:", "\nlevles:", 1))
        time.sleep(2.5)
        key = create_and_wait(sim, severity="L1", **ENTITLED)
        assert triaged(sim, key)["config_version"] == edited
        shown = requests.get(f"http://127.0.0.1:{web_port}/admin/config",
                             headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=5).json()
        assert shown["version"] == edited
        assert any("levles" in p and ":" in p for p in shown["problems"])
    finally:
        config_file.write_text(original)


def test_an_agent_raising_an_l4_request_to_highest_makes_it_l1(sim, worker, web_port):
    # Issue 12: the audit said `unchanged` and the issue kept ps-l4 and the L4 due time.
    from jirasim.shapes import user_for_email
    key = create_and_wait(sim, severity="L4", **ENTITLED)
    assert triaged(sim, key)["level"] == "L4"
    agent = sim.store.register_user(user_for_email("agent@example.com"))
    sim.store.edit(key, {"fields": {"priority": {"name": "Highest"}}}, agent)  # fires jira:issue_updated
    sim.wait_for(lambda: triaged(sim, key)["level"] == "L1", timeout=20)
    fields = sim.issue(key)["fields"]
    assert "ps-l1" in fields["labels"] and "ps-l4" not in fields["labels"]
    assert fields["priority"]["name"] == "Highest" and fields["customfield_10110"] == "L1"
    prop = triaged(sim, key)
    assert prop["severity"]["source"] == "override"
    created = datetime.fromisoformat(prop["created"].replace("Z", "+00:00"))
    assert prop["due"] == (created + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")  # L1: 1 h around the clock
    # The task records its audit entry after the property is in Jira: wait for the entry, not the
    # property (on a loaded machine the newest entry read at once was still the L4 triage's).
    triages = lambda: [e for e in audit(web_port, key) if e["kind"] == "triage"]  # noqa: E731
    sim.wait_for(lambda: (triages() or [{}])[0].get("level") == "L1", timeout=10)
    entries = triages()
    assert entries[0]["outcome"] == "written" and entries[0]["level"] == "L1"
    assert entries[0]["level_override"] == "an agent set the Jira priority to 'Highest'"
    assert len(sim.comments(key)) == 2  # the L4 triage's and the override's
