"""The Celery tasks, run in-process (`apply`): messages they queue, and Jira failures as retries."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest
import responses
import time_machine
from celery.exceptions import Retry

from tests.component.conftest import decision_property
from worker.reminders import schedule_for_decision
from worker.reminders.store import ReminderStore
from worker.celery_app import make_celery
from worker.settings import Settings
from worker.reminders.tasks import fire_reminder, request_changed
from worker.timekeeper import Timekeeper

# The app builds the task messages; it connects to no broker here.
celery = make_celery(Settings.from_env({}))

SITE = "https://tasks.atlassian.net"
UTC = timezone.utc
CREATED = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def worker_env(worker_services):
    return worker_services(SITE)


def queued(redis_client) -> list[tuple[str, list]]:
    """(task name, args) of every message on the worker queue, oldest first."""
    found = []
    for raw in reversed(redis_client.lrange("psw", 0, -1)):
        envelope = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        found.append((envelope["headers"]["task"], args))
    return found


def test_a_severity_change_queues_the_triage_by_key(worker_env, redis_client):
    body = {"webhookEvent": "jira:issue_updated", "issue": {"key": "PS-9", "fields": {}},
            "changelog": {"items": [{"field": "Severity", "fieldtype": "custom", "fieldId": "customfield_10101",
                                     "fromString": "L3 - Moderate impact", "toString": "L1 - Production down"}]}}
    redis_client.set("psw:delivery:d-9:body", json.dumps(body))
    result = request_changed.apply(args=["d-9"]).get()
    assert result == {"status": "noted", "issue": "PS-9", "retriage": "severity changed"}
    assert queued(redis_client) == [("worker.tasks.triage_by_key", ["PS-9", "severity changed"])]


def test_an_expired_delivery_is_reported_not_retried(worker_env):
    assert request_changed.apply(args=["gone"]).get() == {"status": "expired"}


@responses.activate
def test_jira_asking_to_wait_retries_the_firing_and_stretches_its_claim(worker_env, redis_client):
    schedule_for_decision(worker_env, "PS-1", decision_property("L1", CREATED, CREATED), CREATED)
    store = ReminderStore(redis_client)
    now = CREATED + timedelta(minutes=31)
    with time_machine.travel(now, tick=False):
        Timekeeper(celery, worker_env.settings, redis_client).tick()
        responses.get(f"{SITE}/rest/api/2/issue/PS-1", status=429, headers={"Retry-After": "40"})
        with mock.patch.object(fire_reminder, "retry", side_effect=Retry("retry")) as retry, pytest.raises(Retry):
            fire_reminder.apply(args=["PS-1|50"], throw=True)
    assert retry.call_args.kwargs["countdown"] == 40
    hold = 30  # the firing's lease (worker/reminders/firing.py LEASE), under the time limit
    assert store.scheduled("PS-1", ["50"]) == {"50": ("claimed", (now + timedelta(seconds=40 + hold)).timestamp())}
    assert store.lock("PS-1|50", timedelta(seconds=1)) is not None
