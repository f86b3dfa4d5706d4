"""`/readyz` and the liveness metrics: each check fails exactly when its condition holds."""
from __future__ import annotations

import json

import pytest

from worker import clock
from worker.celery_app import make_celery
from worker.queues import QUEUE, QUEUES, TIME_QUEUE
from worker.liveness import BEAT_KEY, CONSUMED_KEY, beat_tick, judge, mark_consumed, snapshot, worker_beat
from worker.queueing import task_message
from worker.reminders.store import DUE
from worker.settings import LivenessSettings, Settings, SettingsError

LIMITS = LivenessSettings()


def now() -> float:
    return clock.now().timestamp()


def healthy(redis_client, at: float) -> None:
    worker_beat(redis_client, "psw@host", at, ttl=120)
    beat_tick(redis_client, at)
    mark_consumed(redis_client, at)


def failing(redis_client) -> set[str]:
    return judge(snapshot(redis_client, QUEUES, now()), LIMITS).failing()


def test_all_checks_pass_when_everything_beats(redis_client):
    healthy(redis_client, now())
    assert failing(redis_client) == set()


def test_nothing_ever_ran_fails_worker_and_beat(redis_client):
    assert failing(redis_client) == {"worker", "beat"}


def test_a_stale_worker_heartbeat_fails_the_worker_check_only(redis_client):
    healthy(redis_client, now())
    worker_beat(redis_client, "psw@host", now() - LIMITS.worker_max_age - 1, ttl=120)
    assert failing(redis_client) == {"worker"}


def test_one_fresh_worker_among_stale_ones_is_enough(redis_client):
    healthy(redis_client, now())
    worker_beat(redis_client, "psw@dead", now() - 500, ttl=1000)
    assert failing(redis_client) == set()


def test_beat_that_stopped_ticking_fails(redis_client):
    healthy(redis_client, now())
    beat_tick(redis_client, now() - LIMITS.beat_max_age - 1)
    assert failing(redis_client) == {"beat"}


def test_queue_with_nothing_consumed_for_long_is_stalled(redis_client, settings):
    healthy(redis_client, now())
    app = make_celery(settings)
    redis_client.lpush(QUEUE, task_message(app, "worker.tasks.triage_request", ["d-1"], QUEUE))
    assert failing(redis_client) == set()  # just queued, consumed a moment ago
    mark_consumed(redis_client, now() - LIMITS.queue_stall - 1)
    assert failing(redis_client) == {"queue_stalled"}
    redis_client.delete(QUEUE)  # an empty queue is no stall, however idle
    assert failing(redis_client) == set()


def test_the_oldest_queued_task_is_read_off_the_tail(redis_client, settings):
    healthy(redis_client, now())
    app = make_celery(settings)
    old = json.loads(task_message(app, "worker.tasks.triage_request", ["old"], QUEUE))
    old["headers"]["psw_queued_at"] = now() - LIMITS.oldest_task_max_age - 5
    redis_client.lpush(QUEUE, json.dumps(old))
    redis_client.lpush(QUEUE, task_message(app, "worker.tasks.triage_request", ["new"], QUEUE))
    snap = snapshot(redis_client, [QUEUE], now())
    assert snap.queue_length == 2 and snap.oldest_queued_age > LIMITS.oldest_task_max_age
    assert judge(snap, LIMITS).failing() == {"queue_oldest"}


def test_a_message_celery_publishes_carries_its_queued_at_stamp(redis_client, settings):
    app = make_celery(settings)
    app.send_task("worker.tasks.triage_request", args=["d-1"], queue=QUEUE)
    age = snapshot(redis_client, [QUEUE], now()).oldest_queued_age
    assert age is not None and age < 5


def test_due_reminders_waiting_unclaimed_fail_only_past_the_limit(redis_client):
    healthy(redis_client, now())
    redis_client.zadd(DUE, {"PS-1|50": now() - LIMITS.reminder_max_wait + 10, "PS-2|50": now() + 3600})
    assert failing(redis_client) == set()
    redis_client.zadd(DUE, {"PS-3|75": now() - LIMITS.reminder_max_wait - 1})
    assert failing(redis_client) == {"reminders_waiting"}


def test_a_claimed_reminder_no_time_lane_worker_takes_fails_reminders_waiting(redis_client, settings):
    # The main worker still beats and consumes triage: only the time lane is stuck.
    healthy(redis_client, now())
    app = make_celery(settings)
    stuck = json.loads(task_message(app, "worker.reminders.tasks.fire_reminder", ["PS-1|50"], TIME_QUEUE))
    stuck["headers"]["psw_queued_at"] = now() - LIMITS.reminder_max_wait + 10
    redis_client.lpush(TIME_QUEUE, json.dumps(stuck))
    assert failing(redis_client) == set()
    redis_client.delete(TIME_QUEUE)
    stuck["headers"]["psw_queued_at"] = now() - LIMITS.reminder_max_wait - 1
    redis_client.lpush(TIME_QUEUE, json.dumps(stuck))
    assert failing(redis_client) == {"reminders_waiting"}
    # The same age in the triage queue is a backlog, not a late reminder.
    redis_client.delete(TIME_QUEUE)
    redis_client.lpush(QUEUE, json.dumps(stuck))
    assert failing(redis_client) == set()


def test_readyz_answers_503_naming_each_failing_check_and_200_when_ready(client, redis_client):
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert {p["check"] for p in answer.get_json()["problems"]} == {"worker", "beat"}
    healthy(redis_client, now())
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["workers"] == ["psw@host"]
    assert client.get("/healthz").status_code == 200  # liveness stays what it was


def test_metrics_show_the_checks_and_ages(client, redis_client):
    healthy(redis_client, now())
    redis_client.delete(BEAT_KEY)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'psw_ready{check="beat"} 0.0' in text
    assert 'psw_ready{check="worker"} 1.0' in text
    assert "psw_workers_alive 1.0" in text
    assert 'psw_worker_heartbeat_age_seconds{worker="psw@host"}' in text
    assert "psw_queue_length 0.0" in text
    redis_client.delete(CONSUMED_KEY)


def test_thresholds_are_settings_and_must_exceed_the_heartbeat_interval():
    limits = Settings.from_env({"READY_QUEUE_STALL_SECONDS": "15", "HEARTBEAT_INTERVAL_SECONDS": "2"}).liveness
    assert (limits.queue_stall, limits.heartbeat_interval) == (15, 2)
    with pytest.raises(SettingsError, match="READY_WORKER_MAX_AGE_SECONDS"):
        Settings.from_env({"READY_WORKER_MAX_AGE_SECONDS": "3", "HEARTBEAT_INTERVAL_SECONDS": "5"})
