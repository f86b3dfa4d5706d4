"""The intake refuses a body older than WEBHOOK_MAX_AGE_SECONDS by its timestamp (issue 12, point 3),
and answers the triage's own comment webhook without a task (issue 10, point 6: Data Center's
comment bodies carry no internal flag)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import time_machine
from prometheus_client import REGISTRY

from app import create_app
from tests.component.test_intake import created, post, queued_tasks
from worker.triage import decision_marker

WEBHOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"


@pytest.fixture
def windowed(settings):
    app = create_app(replace(settings, webhook_max_age_seconds=3600))
    app.testing = True
    return app.test_client()


def stale_count() -> float:
    return REGISTRY.get_sample_value("psw_webhooks_total",
                                     {"event": "jira:issue_created", "outcome": "stale"}) or 0.0


# created()'s timestamp is 2025-11-26T10:00:00Z.
@time_machine.travel("2025-11-26T11:00:01Z", tick=False)
def test_a_body_older_than_the_window_is_refused_with_a_422_and_counted(windowed, redis_client):
    before = stale_count()
    resp = post(windowed, created(), delivery="captured-1")
    assert resp.status_code == 422  # not a status Jira retries (408, 409, 425, 429, 5xx)
    assert "WEBHOOK_MAX_AGE_SECONDS=3600" in resp.get_json()["message"]
    assert resp.get_json()["status"] == "stale"
    assert queued_tasks(redis_client) == []
    assert redis_client.get("psw:delivery:captured-1:seen") is None
    assert stale_count() == before + 1


@time_machine.travel("2025-11-26T10:59:59Z", tick=False)
def test_a_body_inside_the_window_is_queued(windowed, redis_client):
    assert post(windowed, created(), delivery="retried-1").status_code == 202
    assert len(queued_tasks(redis_client)) == 1


@time_machine.travel("2025-11-26T12:00:00Z", tick=False)
@pytest.mark.parametrize("stamp", [None, "yesterday", True, 10**400, float("1e308")])
def test_a_body_without_a_usable_timestamp_is_judged_as_before(windowed, redis_client, stamp):
    body = {k: v for k, v in created().items() if k != "timestamp"}
    if stamp is not None:
        body["timestamp"] = stamp
    raw = json.dumps(body).encode()
    assert post(windowed, None, raw=raw, delivery=f"d-{stamp!r}"[:40]).status_code == 202


def test_a_window_of_0_accepts_any_age(client, redis_client):
    assert post(client, created(), delivery="old-but-allowed").status_code == 202


def test_the_triage_own_comment_in_a_data_center_webhook_needs_no_task(client, redis_client):
    body = json.loads((WEBHOOKS / "dc-comment-created.json").read_text())
    body["comment"]["body"] = "Priority Support triage: ENTITLED. Level L1.\n" + decision_marker("0123456789abcdef")
    resp = post(client, body, delivery="dc-echo-1")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ignored", "event": "comment_created", "reason": "the triage's own comment"}
    assert queued_tasks(redis_client) == []


def test_an_agent_comment_in_a_data_center_webhook_is_still_queued(client, redis_client):
    body = json.loads((WEBHOOKS / "dc-comment-created.json").read_text())
    assert post(client, body, delivery="dc-agent-1").status_code == 202
    [message] = queued_tasks(redis_client)
    assert message["headers"]["task"] == "worker.reminders.tasks.request_changed"
