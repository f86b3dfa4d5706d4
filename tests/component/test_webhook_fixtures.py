"""The project's own webhook bodies (tests/fixtures/webhooks, see its README), one per event shape
a Cloud or Data Center site sends: what the intake answers to each, and what the worker reads
from it (the facts of a created request, the change an update or comment makes)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from responses import RequestsMock

from app.signature import sign
from tests.conftest import SECRET
from worker.config import default_config_path, load_config
from worker.entitlement.files import load_entitlements
from worker.jira.gateway import JiraGateway
from worker.policy.decision import decide
from worker.policy.facts import Reporter, extract_facts
from worker.reminders.events import ChangeRules, FieldIds, body_field_id, classify
from worker.settings import JiraSite, ReminderSettings

WEBHOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
TRIAGE, CHANGE = "worker.tasks.triage_request", "worker.reminders.tasks.request_changed"
NO_CHANGE = "no change the reminders depend on"

# file -> (the intake's answer, the task it queues or the reason it gives for queueing none)
INTAKE = {
    "cloud-issue-created.json": ("queued", TRIAGE),
    "cloud-issue-updated-severity.json": ("queued", CHANGE),
    "cloud-issue-updated-priority.json": ("queued", CHANGE),
    "cloud-issue-updated-labels.json": ("ignored", NO_CHANGE),
    "cloud-issue-updated-by-triage.json": ("ignored", NO_CHANGE),
    "cloud-issue-updated-commented.json": ("ignored", NO_CHANGE),
    "cloud-comment-created-public.json": ("queued", CHANGE),
    "cloud-comment-created-internal.json": ("ignored", "internal comment"),
    # Cloud names a portal customer's account type: no first response, no task.
    "cloud-comment-created-by-participant.json": ("ignored", "a comment by a customer"),
    "dc-issue-created.json": ("queued", TRIAGE),
    # A Data Center changelog names a custom field by its name: only the worker can tell which.
    "dc-issue-updated-severity.json": ("queued", CHANGE),
    "dc-issue-updated-resolved.json": ("queued", CHANGE),
    "dc-comment-created.json": ("queued", CHANGE),
    # Data Center's author has no account type: only the worker, reading the request, can tell.
    "dc-comment-created-by-participant.json": ("queued", CHANGE),
}
# A Cloud webhook signs its body and names its delivery; a Data Center one carries the secret
# in the URL and no delivery id (the intake dedupes on the body's hash).
CLOUD_DELIVERY = "4bd5e1c2-7a35-4f0b-9f5e-0c6a1d2e3f40"
DC_SITE = JiraSite(url="http://jira.psw-demo.test:8080", deployment="datacenter",
                   personal_access_token="dc-fixture-token", timeout=5.0)


def raw(name: str) -> bytes:
    return (WEBHOOKS / name).read_bytes()


def body(name: str) -> dict:
    return json.loads(raw(name))


def post_as_the_site_does(client, name: str):
    data = raw(name)
    if name.startswith("cloud-"):
        headers = {"X-Hub-Signature": sign(SECRET, data), "X-Atlassian-Webhook-Identifier": CLOUD_DELIVERY}
        return client.post("/webhooks/jira", data=data, headers={"Content-Type": "application/json", **headers})
    return client.post(f"/webhooks/jira?token={SECRET}", data=data, headers={"Content-Type": "application/json"})


def test_every_fixture_file_is_covered():
    assert sorted(p.name for p in WEBHOOKS.glob("*.json")) == sorted(INTAKE)


@pytest.mark.parametrize("name", sorted(INTAKE))
def test_the_intake_answers_each_fixture_exactly(client, redis_client, name):
    status, detail = INTAKE[name]
    event = body(name)["webhookEvent"]
    resp = post_as_the_site_does(client, name)
    queue = [json.loads(m) for m in redis_client.lrange("psw", 0, -1)]
    if status == "ignored":
        assert (resp.status_code, resp.get_json()) == (200, {"status": "ignored", "event": event, "reason": detail})
        assert queue == []
        return
    delivery = CLOUD_DELIVERY if name.startswith("cloud-") else hashlib.sha256(raw(name)).hexdigest()
    assert (resp.status_code, resp.get_json()) == (202, {"status": "queued", "delivery": delivery})
    [message] = queue
    # Flower shows the issue key beside the delivery id (README, Operations).
    issue_key = body(name).get("issue", {}).get("key")  # DC comment events name no issue
    argsrepr = f"{[delivery]!r} issue={issue_key}" if issue_key else repr([delivery])
    assert (message["headers"]["task"], message["headers"]["argsrepr"]) == (detail, argsrepr)
    assert redis_client.get(f"psw:delivery:{delivery}:body") == raw(name)


CONFIG = load_config(default_config_path())
RECORDS = load_entitlements(CONFIG.resolve(CONFIG.entitlement.path), frozenset(CONFIG.regions))
UTC = timezone.utc


@pytest.mark.parametrize("name, sen, product, version, severity, reporter, customer, level, due", [
    ("cloud-issue-created.json", "SEN-10000001", "Jira Software", "10.3.2", "L1 - Production down",
     Reporter(account_id="557058:11111111-aaaa-4bbb-8ccc-000000000001", display_name="Gia Globex"),
     "Globex Corporation", "L1", datetime(2026, 11, 17, 9, 42, 18, 311000, tzinfo=UTC)),
    # No severity chosen: the level comes from JSM's impact x urgency (Significant x High = L2).
    ("dc-issue-created.json", "SEN-10000005", "Bitbucket", "9.4.2", None,
     Reporter(username="stark.admin", key="JIRAUSER10207", email="git-admin@stark.example",
              display_name="Stian Stark"),
     "Stark Logistics", "L2", datetime(2026, 11, 18, 15, 5, 44, 902000, tzinfo=UTC)),
])
def test_a_created_fixture_reads_as_the_request_it_describes(name, sen, product, version, severity, reporter,
                                                             customer, level, due):
    facts = extract_facts(body(name), CONFIG)
    assert (facts.sen, facts.product, facts.version, facts.environment, facts.severity_option) == (
        sen, product, version, "Production", severity)
    assert facts.reporter == reporter
    assert facts.missing == ()
    decision = decide(facts, RECORDS[sen], CONFIG, now=facts.created + timedelta(seconds=3))
    assert (decision.entitled, decision.customer, decision.level, decision.due) == (True, customer, level, due)


RULES = ChangeRules.from_config(CONFIG, ReminderSettings().responded_statuses)


@pytest.mark.parametrize("name, issue, check, retriage, ignored", [
    ("cloud-issue-updated-severity.json", "PS-231", None, "severity changed", None),
    ("cloud-issue-updated-priority.json", "PS-231", None, "priority changed to Highest", None),
    ("cloud-issue-updated-labels.json", "PS-231", None, None, NO_CHANGE),
    # The triage's own edit sets the priority its level calls for: no cause to triage again.
    ("cloud-issue-updated-by-triage.json", "PS-231", None, None, NO_CHANGE),
    ("cloud-issue-updated-commented.json", "PS-231", None, None, NO_CHANGE),
    ("cloud-comment-created-public.json", "PS-231", "comment 10587", None, None),
    ("cloud-comment-created-internal.json", "PS-231", None, None, "internal comment"),
    ("dc-issue-updated-resolved.json", "PS-388", "status changed to Resolved", None, None),
    # Data Center's comment body has no issue: the issue id comes from the comment's URL, and it
    # has no visibility flag, so the check reads the comment from Jira.
    ("dc-comment-created.json", "10388", "comment 10415", None, None),
    ("cloud-comment-created-by-participant.json", "PS-231", None, None, "a comment by a customer"),
    ("dc-comment-created-by-participant.json", "10388", "comment 10414", None, None),
])
def test_a_change_fixture_is_classified_from_its_body(name, issue, check, retriage, ignored):
    change = classify(body(name), RULES, body_field_id)
    assert (change.issue, change.check, change.retriage, change.ignored) == (issue, check, retriage, ignored)


def test_a_data_center_custom_field_change_is_classified_once_the_field_names_are_read(redis_client):
    update = body("dc-issue-updated-severity.json")
    [item] = update["changelog"]["items"]
    assert body_field_id(item) is None  # named "Severity", no id: the body alone cannot tell
    site_fields = [{"id": "customfield_10100", "name": "SEN", "custom": True},
                   {"id": "customfield_10101", "name": "Severity", "custom": True},
                   {"id": "priority", "name": "Priority", "custom": False}]
    with RequestsMock() as rsps:
        rsps.get(f"{DC_SITE.url}/rest/api/2/field", json=site_fields)
        change = classify(update, RULES, FieldIds(redis_client, lambda: JiraGateway(DC_SITE)))
    assert (change.issue, change.check, change.retriage) == ("PS-388", None, "severity changed")
