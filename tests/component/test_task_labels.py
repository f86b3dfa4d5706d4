"""Flower finds a task by its issue key: the intake's message carries it in argsrepr, and a retry
published by the task keeps it."""
from __future__ import annotations

import json

from celery._state import _task_stack

from app.signature import sign
from tests.conftest import SECRET
from worker.celery_app import make_celery
from worker.queues import QUEUE
from worker.heartbeats import _stamp


def post(client, body: dict, delivery: str):
    raw = json.dumps(body).encode()
    return client.post("/webhooks/jira", data=raw, headers={
        "X-Hub-Signature": sign(SECRET, raw), "X-Atlassian-Webhook-Identifier": delivery,
        "Content-Type": "application/json"})


def test_the_intake_labels_triage_and_change_tasks_with_their_issue_key(client, redis_client):
    assert post(client, {"webhookEvent": "jira:issue_created", "issue": {"key": "PS-41", "fields": {}}},
                "label-1").status_code == 202
    assert post(client, {"webhookEvent": "comment_created", "issue": {"key": "PS-42", "fields": {}},
                         "comment": {"body": "hello", "jsdPublic": True, "author": {"accountId": "x"}}},
                "label-2").status_code == 202
    messages = [json.loads(m) for m in redis_client.lrange(QUEUE, 0, -1)]
    reprs = {m["headers"]["task"]: m["headers"]["argsrepr"] for m in messages}
    assert reprs["worker.tasks.triage_request"] == "['label-1'] issue=PS-41"
    assert reprs["worker.reminders.tasks.request_changed"] == "['label-2'] issue=PS-42"


def test_a_retry_keeps_the_issue_key_of_the_first_message(settings):
    app = make_celery(settings)

    @app.task(name="labels.probe")
    def probe(delivery):
        return delivery

    probe.push_request(id="task-1", argsrepr="['d-1'] issue=PS-7")
    _task_stack.push(probe)
    try:
        retry = {"id": "task-1", "argsrepr": "['d-1']"}
        _stamp(headers=retry)
        other = {"id": "task-2", "argsrepr": "['PS-9', 'missed']"}  # a new task it queues is its own
        _stamp(headers=other)
    finally:
        _task_stack.pop()
        probe.pop_request()
    assert retry["argsrepr"] == "['d-1'] issue=PS-7"
    assert other["argsrepr"] == "['PS-9', 'missed']"
    assert "psw_queued_at" in retry and "psw_queued_at" in other
