"""POST /webhooks/jira: each test reads like the delivery it sends."""
from __future__ import annotations

import json

import pytest

from app.signature import sign
from tests.conftest import SECRET


def created(key="PS-1", **extra) -> dict:
    return {"timestamp": 1764151200000, "webhookEvent": "jira:issue_created",
            "issue_event_type_name": "issue_created",
            "issue": {"id": "10001", "key": key, "fields": {"summary": "Prod down"}}, **extra}


def post(client, payload, *, secret=SECRET, delivery=None, raw=None, headers=None, query=""):
    body = raw if raw is not None else json.dumps(payload).encode()
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if secret is not None:
        hdrs["X-Hub-Signature"] = sign(secret, body)
    if delivery:
        hdrs["X-Atlassian-Webhook-Identifier"] = delivery
    return client.post(f"/webhooks/jira{query}", data=body, headers=hdrs)


def queued_tasks(redis_client) -> list[dict]:
    return [json.loads(m) for m in redis_client.lrange("psw", 0, -1)]


def test_signed_created_request_is_queued_for_triage(client, redis_client):
    resp = post(client, created(), delivery="d-1")
    assert resp.status_code == 202
    assert resp.get_json() == {"status": "queued", "delivery": "d-1"}
    [message] = queued_tasks(redis_client)
    assert message["headers"]["task"] == "worker.tasks.triage_request"
    assert json.loads(redis_client.get("psw:delivery:d-1:body")) == created()


def test_wrong_signature_is_401_and_queues_nothing(client, redis_client):
    resp = post(client, created(), secret="not-the-secret")
    assert resp.status_code == 401
    assert "signature" in resp.get_json()["message"]
    assert queued_tasks(redis_client) == []


def test_missing_signature_is_401(client, redis_client):
    resp = post(client, created(), secret=None)
    assert resp.status_code == 401
    assert queued_tasks(redis_client) == []


def test_signature_over_other_bytes_is_401(client, redis_client):
    body = json.dumps(created()).encode()
    resp = client.post("/webhooks/jira", data=body + b" ",
                       headers={"X-Hub-Signature": sign(SECRET, body)})
    assert resp.status_code == 401


def test_data_center_url_token_is_accepted(client, redis_client):
    resp = post(client, created(), secret=None, query=f"?token={SECRET}")
    assert resp.status_code == 202


def test_wrong_url_token_is_401(client):
    assert post(client, created(), secret=None, query="?token=guess").status_code == 401


def test_oversize_body_is_413(client, redis_client):
    big = created(padding="x" * (70 * 1024))
    resp = post(client, big)
    assert resp.status_code == 413
    assert "limit" in resp.get_json()["message"]
    assert queued_tasks(redis_client) == []


@pytest.mark.parametrize("raw, message", [
    (b"not json", "body is not JSON"),
    (b"\xff\xfe", "body is not JSON"),
    (b"[1, 2]", "body must be a JSON object, got list"),
    (b'"text"', "body must be a JSON object, got str"),
    (b'{"issue": {}}', "body has no webhookEvent"),
    (b'{"webhookEvent": 3}', "webhookEvent must be a string"),
])
def test_malformed_body_is_400_naming_the_problem(client, redis_client, raw, message):
    resp = post(client, None, raw=raw)
    assert resp.status_code == 400
    assert resp.get_json()["message"].startswith(message)
    assert queued_tasks(redis_client) == []


def test_same_delivery_twice_queues_once(client, redis_client):
    assert post(client, created(), delivery="d-2").status_code == 202
    again = post(client, created(), delivery="d-2")
    assert again.status_code == 200
    assert again.get_json() == {"status": "duplicate", "delivery": "d-2"}
    assert len(queued_tasks(redis_client)) == 1


def test_without_identifier_the_body_hash_dedupes(client, redis_client):
    assert post(client, created()).status_code == 202
    assert post(client, created()).get_json()["status"] == "duplicate"
    assert post(client, created(key="PS-2")).status_code == 202
    assert len(queued_tasks(redis_client)) == 2


def test_dedupe_key_lives_at_least_a_day(client, redis_client):
    post(client, created(), delivery="d-3")
    assert redis_client.ttl("psw:delivery:d-3:seen") >= 24 * 3600


def test_a_failed_queue_write_leaves_the_delivery_unclaimed(client, redis_client):
    # The queue key holds the wrong type, so the LPUSH inside the claim script fails: the
    # delivery must answer 503 and stay unclaimed, so Jira's retry is queued, not dropped.
    redis_client.set("psw", "not a list")
    assert post(client, created(), delivery="d-4").status_code == 503
    redis_client.delete("psw")
    assert post(client, created(), delivery="d-4").status_code == 202
    assert len(queued_tasks(redis_client)) == 1


RESOLVED = {"webhookEvent": "jira:issue_updated",
            "issue": {"key": "PS-1", "fields": {"status": {"name": "Resolved", "statusCategory": {"key": "done"}}}},
            "changelog": {"items": [{"field": "status", "fieldId": "status", "toString": "Resolved"}]}}
PUBLIC_REPLY = {"webhookEvent": "comment_created", "issue": {"key": "PS-1"},
                "comment": {"id": "1", "body": "Looking at it now", "jsdPublic": True}}


@pytest.mark.parametrize("payload", [RESOLVED, PUBLIC_REPLY], ids=["resolved", "public reply"])
def test_updates_and_comments_are_queued_for_the_reminder_logic(client, redis_client, payload):
    resp = post(client, payload, delivery="e-1")
    assert resp.status_code == 202
    [message] = queued_tasks(redis_client)
    assert message["headers"]["task"] == "worker.reminders.tasks.request_changed"


@pytest.mark.parametrize("event", ["jira:issue_deleted", "worklog_created", "something_new"])
def test_other_events_are_ignored(client, redis_client, event):
    resp = post(client, {"webhookEvent": event})
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ignored", "event": event}
    assert queued_tasks(redis_client) == []


def test_redis_down_is_503_so_jira_retries(settings):
    from dataclasses import replace

    from app import create_app

    down = replace(settings, redis_url="redis://127.0.0.1:1/0")
    client = create_app(down).test_client()
    resp = post(client, created(), delivery="d-5")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "unavailable"


def test_service_refuses_to_start_without_a_secret(settings):
    from dataclasses import replace

    from app import StartupError, create_app

    with pytest.raises(StartupError, match="WEBHOOK_SECRET"):
        create_app(replace(settings, webhook_secret=""))


def test_unsigned_mode_accepts_and_warns(settings, caplog):
    from dataclasses import replace

    from app import create_app

    client = create_app(replace(settings, webhook_secret="", allow_unsigned_webhooks=True)).test_client()
    assert "ALLOW_UNSIGNED_WEBHOOKS" in caplog.text
    assert post(client, created(), secret=None).status_code == 202


OWN_EDIT = {"webhookEvent": "jira:issue_updated",
            "issue": {"key": "PS-1", "fields": {"customfield_10110": "L1", "priority": {"name": "Highest"}}},
            "changelog": {"items": [
                {"field": "priority", "fieldId": "priority", "toString": "Highest"},
                {"field": "labels", "fieldId": "labels", "toString": "priority-support ps-l1"},
                {"field": "Priority Support level", "fieldId": "customfield_10110", "fieldtype": "custom",
                 "toString": "L1"}]}}


@pytest.mark.parametrize("payload, reason", [
    ({"webhookEvent": "comment_created", "comment": {"id": "1", "body": "note", "jsdPublic": False},
      "issue": {"key": "PS-1"}}, "internal comment"),
    ({"webhookEvent": "jira:issue_updated", "issue_event_type_name": "issue_commented",
      "issue": {"key": "PS-1"}, "comment": {"id": "1"}}, "no change the reminders depend on"),
    ({"webhookEvent": "jira:issue_updated", "issue": {"key": "PS-1"},
      "changelog": {"items": [{"field": "labels", "fieldId": "labels", "toString": "vip"}]}},
     "no change the reminders depend on"),
    (OWN_EDIT, "no change the reminders depend on"),
], ids=["internal comment", "comment notice", "labels only", "the triage's own edit"])
def test_events_that_cannot_matter_are_answered_without_a_task(client, redis_client, payload, reason):
    resp = post(client, payload)
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ignored", "event": payload["webhookEvent"], "reason": reason}
    assert queued_tasks(redis_client) == []


AGENT_PRIORITY = {"webhookEvent": "jira:issue_updated",
                  "issue": {"key": "PS-1", "fields": {"customfield_10110": "L3", "priority": {"name": "Highest"}}},
                  "changelog": {"items": [{"field": "priority", "fieldId": "priority", "toString": "Highest"}]}}
DC_SEVERITY = {"webhookEvent": "jira:issue_updated", "issue": {"key": "PS-1", "fields": {}},
               "changelog": {"items": [{"field": "Severity", "fieldtype": "custom", "toString": "L1 - Production down"}]}}
DC_COMMENT = {"webhookEvent": "comment_created",
              "comment": {"id": "1", "body": "hi", "self": "http://dc/rest/api/2/issue/10/comment/1"}}


@pytest.mark.parametrize("payload", [AGENT_PRIORITY, DC_SEVERITY, DC_COMMENT],
                         ids=["an agent's priority change", "a DC custom field by name", "a DC comment"])
def test_real_changes_and_what_only_the_worker_can_judge_are_queued(client, redis_client, payload):
    assert post(client, payload).status_code == 202
    assert len(queued_tasks(redis_client)) == 1


@pytest.mark.parametrize("payload, status", [
    ({"webhookEvent": "jira:issue_updated", "issue": "PS-1", "changelog": []}, "bad_request"),  # no issue.key
    ({"webhookEvent": "jira:issue_updated", "issue": {"key": "PS-1", "fields": []}, "changelog": {"items": ["x"]}},
     "ignored"),
    ({"webhookEvent": "comment_created", "comment": "hello"}, "ignored"),
])
def test_odd_shapes_inside_a_change_event_get_an_answer_not_a_500(client, redis_client, payload, status):
    # What the intake cannot read is queued for the worker to judge; nothing is lost to a crash.
    assert post(client, payload).get_json()["status"] == status
