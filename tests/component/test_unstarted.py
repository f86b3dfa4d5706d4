"""Intake tasks a dying worker took off the queue before recording them (worker/unstarted.py):
the chaos run lost the webhook that came right after a worker's SIGKILL this way (the message was
RPOPed, never HSET into `unacked`), every time. The intake marks what it queues, the task clears
the mark when it starts, and the clock queues again a mark whose message has left the queue."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine

from tests.component.test_timekeeper import TRIAGE, queued, settings_for
from worker import inflight, node, unstarted
from worker.celery_app import make_celery
from worker.queues import QUEUE
from worker.settings import Settings
from worker.deliveries import DeliveryStore
from worker.queueing import task_message
from worker.timekeeper import Timekeeper

# The app builds the task messages; it connects to no broker here.
celery = make_celery(Settings.from_env({}))

UTC = timezone.utc
T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def intake(client, delivery_id: str) -> bool:
    """What the web process does for a jira:issue_created: the message and its mark, in one script."""
    store = DeliveryStore(client, dedupe_ttl=86400, body_ttl=86400)
    message = task_message(celery, TRIAGE, [delivery_id], QUEUE)
    return store.claim_and_queue(delivery_id, b'{"issue": {"key": "PS-1"}}', QUEUE, message,
                                 mark=inflight.member(TRIAGE, [delivery_id]))


def tick(redis_url, client, at: datetime):
    with time_machine.travel(at, tick=False):
        return Timekeeper(celery, settings_for(redis_url), client).tick()


def test_the_intake_marks_what_it_queues_once(redis_client):
    with time_machine.travel(T0, tick=False):
        assert intake(redis_client, "d-1") and not intake(redis_client, "d-1")  # a duplicate: no second mark
    assert redis_client.zrange(unstarted.KEY, 0, -1, withscores=True) == [
        (inflight.member(TRIAGE, ["d-1"]).encode(), T0.timestamp())]


def test_a_message_a_dying_worker_took_is_queued_again_once(redis_url, redis_client):
    with time_machine.travel(T0, tick=False):
        intake(redis_client, "d-lost")
    redis_client.rpop(QUEUE)  # BRPOP served to a worker that died before recording it
    assert tick(redis_url, redis_client, T0 + timedelta(seconds=29)).recovered == []  # it may still start
    recovered = tick(redis_url, redis_client, T0 + timedelta(seconds=31)).recovered
    assert recovered == [inflight.member(TRIAGE, ["d-lost"])]
    assert [(name, args) for name, args, _ in queued(redis_client, QUEUE)] == [(TRIAGE, ["d-lost"])]
    assert tick(redis_url, redis_client, T0 + timedelta(seconds=60)).recovered == []  # once
    assert redis_client.zcard(unstarted.KEY) == 0


def test_a_started_task_and_a_message_still_waiting_in_the_queue_are_left_alone(redis_url, redis_client):
    with time_machine.travel(T0, tick=False):
        intake(redis_client, "d-started")
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        intake(redis_client, "d-waiting")
    redis_client.rpop(QUEUE)  # d-started taken by a worker, which starts it:
    unstarted.started(redis_client, inflight.member(TRIAGE, ["d-started"]))
    # Ten minutes of backlog: d-waiting is still the oldest message in the queue.
    assert tick(redis_url, redis_client, T0 + timedelta(minutes=10)).recovered == []
    assert [args for _, args, _ in queued(redis_client, QUEUE)] == [["d-waiting"]]


def test_a_mark_queued_before_the_oldest_waiting_message_is_known_lost(redis_url, redis_client):
    with time_machine.travel(T0, tick=False):
        intake(redis_client, "d-lost")
    redis_client.rpop(QUEUE)
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        intake(redis_client, "d-later")  # still queued behind a busy worker
    recovered = tick(redis_url, redis_client, T0 + timedelta(seconds=40)).recovered
    assert recovered == [inflight.member(TRIAGE, ["d-lost"])]
    assert [args for _, args, _ in queued(redis_client, QUEUE)] == [["d-later"], ["d-lost"]]


def test_a_taken_message_no_node_named_is_queued_again_two_seconds_after_the_clock_saw_it(redis_url, redis_client):
    """The webhook right after a SIGKILL: Redis served it to the dead node's pending BRPOP, so no
    node named itself on its mark; a live node names what it takes within milliseconds."""
    clock = Timekeeper(celery, settings_for(redis_url), redis_client)
    with time_machine.travel(T0, tick=False):
        intake(redis_client, "d-lost")
        intake(redis_client, "d-named-later")
        intake(redis_client, "d-reserved")
    for _ in range(3):
        redis_client.rpop(QUEUE)
    node.taken(redis_client, TRIAGE, ["d-reserved"], "host:1")  # a live node waits for a free process
    at = lambda s: time_machine.travel(T0 + timedelta(seconds=s), tick=False)  # noqa: E731
    with at(1):
        assert clock.tick().recovered == []  # seen unnamed: d-lost and d-named-later
    node.taken(redis_client, TRIAGE, ["d-named-later"], "host:1")  # a starved node, late
    with at(2.9):
        assert clock.tick().recovered == []
    with at(3.0):
        assert clock.tick().recovered == [inflight.member(TRIAGE, ["d-lost"])]
    with at(29):
        assert clock.tick().recovered == []  # named ones wait for MIN_AGE (their supervisor hands them back sooner)
    with at(31):
        assert clock.tick().recovered == [inflight.member(TRIAGE, [d]) for d in ("d-named-later", "d-reserved")]
    assert [args for _, args, _ in queued(redis_client, QUEUE)] == [["d-lost"], ["d-named-later"], ["d-reserved"]]
