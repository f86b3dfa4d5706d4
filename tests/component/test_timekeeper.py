"""The beat's clock loop (worker/timekeeper.py): due reminders onto the time lane, lost triage tasks
back onto the triage queue, on a real Redis; the loop outlives a Redis that goes away."""
from __future__ import annotations

import base64
import json
import logging
import os
import socket
import time
from datetime import datetime, timedelta, timezone

import redis
import time_machine
from celery.signals import beat_init

from tests.component.conftest import decision_property, make_services
from worker import inflight, node, timekeeper, unstarted
from worker.celery_app import make_celery
from worker.queues import QUEUE, TIME_QUEUE
from worker.embedded_redis import free_port
from worker.reminders import schedule_for_decision
from worker.settings import Settings
from worker.queueing import task_message
from worker.reminders.store import CLAIMED
from worker.timekeeper import Timekeeper
from worker.triage_guard import lock_key

# The app builds the task messages; it connects to no broker here.
celery = make_celery(Settings.from_env({}))

UTC = timezone.utc
CREATED = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
FIRE = "worker.reminders.tasks.fire_reminder"
TRIAGE = "worker.tasks.triage_request"


def queued(client, queue: str) -> list[tuple[str, list, str]]:
    """(task name, args, argsrepr) of every message on `queue`, oldest first."""
    found = []
    for raw in reversed(client.lrange(queue, 0, -1)):
        envelope = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        assert envelope["properties"]["delivery_info"]["routing_key"] == queue
        found.append((envelope["headers"]["task"], args, envelope["headers"]["argsrepr"]))
    return found


def settings_for(redis_url: str, **env: str) -> Settings:
    return Settings.from_env({"REDIS_URL": redis_url, **env})


def test_a_tick_queues_due_firings_on_the_time_lane_and_nothing_behind_triage(redis_url, redis_client):
    services = make_services(redis_url, redis_client)
    schedule_for_decision(services, "PS-1", decision_property("L1", CREATED, CREATED), CREATED)
    redis_client.lpush(QUEUE, b"a triage waiting its turn")
    with time_machine.travel(CREATED + timedelta(minutes=46), tick=False):
        tick = Timekeeper(celery, services.settings, redis_client).tick()
    assert (tick.dispatched.queued, tick.recovered) == (2, [])
    # Both passed while no beat ran; the firing of 50 % will find 75 % passed too and drop it.
    assert [(name, args) for name, args, _ in queued(redis_client, TIME_QUEUE)] == [
        (FIRE, ["PS-1|50"]), (FIRE, ["PS-1|75"])]
    assert all(label.endswith(" issue=PS-1") for _, _, label in queued(redis_client, TIME_QUEUE))  # Flower finds it
    assert redis_client.lrange(QUEUE, 0, -1) == [b"a triage waiting its turn"]


def test_a_lost_workers_triage_is_queued_again_once_even_by_two_clocks(redis_url, redis_client):
    now = datetime.now(UTC)
    lost, running = inflight.member(TRIAGE, ["d-lost"]), inflight.member(TRIAGE, ["d-running"])
    inflight.hold(redis_client, lost, now - timedelta(seconds=1))  # its worker stopped renewing
    inflight.hold(redis_client, running, now + timedelta(seconds=20))
    settings = settings_for(redis_url)
    first, second = Timekeeper(celery, settings, redis_client), Timekeeper(celery, settings, redis_client)
    assert first.tick(now).recovered == [lost]
    assert second.tick(now).recovered == []
    assert [(name, args) for name, args, _ in queued(redis_client, QUEUE)] == [(TRIAGE, ["d-lost"])]
    assert redis_client.zrange(inflight.KEY, 0, -1) == [running.encode()]
    assert redis_client.llen(TIME_QUEUE) == 0


def test_a_dead_nodes_work_is_handed_back_at_once_and_a_live_nodes_never(redis_url, redis_client):
    """worker/node.hand_back, what a supervisor calls for the node whose main process it reaped."""
    now = datetime.now(UTC)
    lease = now + timedelta(seconds=25)  # renewed 5 s ago: the lease alone would wait 25 s more
    marks = {m: inflight.member(TRIAGE, [m]) for m in (
        "dead", "dead-lost-lock", "live", "waiting", "waiting-taken", "queued-dead", "queued-live", "queued")}
    inflight.hold(redis_client, marks["dead"], lease, inflight.Holder("host:41", lock_key("PS-1"), "t-dead"))
    inflight.hold(redis_client, marks["dead-lost-lock"], lease, inflight.Holder("host:41", lock_key("PS-2"), "t-old"))
    inflight.hold(redis_client, marks["live"], lease, inflight.Holder("host:4100", lock_key("PS-3"), "t-live"))
    # Retries waiting out a 3 s countdown: nobody holds one until a node takes its delayed message.
    inflight.hold(redis_client, marks["waiting"], lease + timedelta(seconds=8))
    inflight.hold(redis_client, marks["waiting-taken"], lease + timedelta(seconds=8))
    node.taken(redis_client, TRIAGE, ["waiting-taken"], "host:41")
    # Intake's marks (worker/unstarted.py), just queued: two taken off the queue, one still there.
    for name in ("queued-dead", "queued-live", "queued"):
        redis_client.zadd(unstarted.KEY, {marks[name]: now.timestamp()})
    with time_machine.travel(now, tick=False):
        redis_client.lpush(QUEUE, task_message(celery, TRIAGE, ["queued"], QUEUE))
    node.taken(redis_client, TRIAGE, ["queued-dead"], "host:41")
    node.taken(redis_client, TRIAGE, ["queued-live"], "host:4100")
    node.taken(redis_client, TRIAGE, ["dead"], "host:41")  # running: its holder stays the running one
    # Reminder firings the nodes took off the time lane, claimed for the dispatch lease (300 s).
    redis_client.zadd(CLAIMED, {"PS-9|50": (now + timedelta(seconds=300)).timestamp(),
                                "PS-9|75": (now + timedelta(seconds=300)).timestamp()})
    node.taken(redis_client, FIRE, ["PS-9|50"], "host:41")
    node.taken(redis_client, FIRE, ["PS-9|75"], "host:4100")
    redis_client.set(lock_key("PS-1"), "t-dead")
    redis_client.set(lock_key("PS-2"), "t-another-triage")  # lapsed and taken by a live triage since
    redis_client.set(lock_key("PS-3"), "t-live")

    assert node.hand_back(redis_client, "host:41", now) == 5
    clock = Timekeeper(celery, settings_for(redis_url), redis_client)
    first = clock.tick(now)
    assert first.recovered == [marks["dead"], marks["dead-lost-lock"], marks["queued-dead"]]
    assert [args for _, args, _ in queued(redis_client, TIME_QUEUE)] == [["PS-9|50"]]  # the live node's waits
    assert redis_client.zscore(CLAIMED, "PS-9|75") == (now + timedelta(seconds=300)).timestamp()
    assert not redis_client.exists(lock_key("PS-1"))
    assert redis_client.get(lock_key("PS-2")) == b"t-another-triage"
    assert redis_client.get(lock_key("PS-3")) == b"t-live"
    # The taken retry is queued when its countdown ends, not before; the untaken one after its lease.
    assert clock.tick(now + timedelta(seconds=2.9)).recovered == []
    assert clock.tick(now + timedelta(seconds=3)).recovered == [marks["waiting-taken"]]
    assert [args for _, args, _ in queued(redis_client, QUEUE)] == [
        ["queued"], ["dead"], ["dead-lost-lock"], ["queued-dead"], ["waiting-taken"]]
    assert redis_client.zrange(inflight.KEY, 0, -1) == [marks["live"].encode(), marks["waiting"].encode()]
    assert redis_client.hkeys(inflight.HOLDERS) == [marks["live"].encode()]
    assert sorted(redis_client.zrange(unstarted.KEY, 0, -1)) == sorted([marks["queued-live"].encode(),
                                                                        marks["queued"].encode()])
    assert redis_client.hgetall(unstarted.HOLDERS) == {marks["queued-live"].encode(): b"host:4100"}
    assert node.hand_back(redis_client, "host:41", now) == 0  # once


def test_a_triage_names_its_node_while_it_runs_and_none_while_it_waits_for_a_retry(redis_client):
    running = inflight.member(TRIAGE, ["d-1"])
    now = datetime.now(UTC)
    inflight.hold(redis_client, running, now, inflight.Holder(node.current(), lock_key("PS-1"), "t"))
    assert json.loads(redis_client.hget(inflight.HOLDERS, running)) == {
        "node": f"{socket.gethostname()}:{os.getpid()}", "lock": lock_key("PS-1"), "token": "t"}
    inflight.hold(redis_client, running, now + timedelta(seconds=40))  # a retry's countdown
    assert redis_client.hget(inflight.HOLDERS, running) is None
    inflight.hold(redis_client, running, now, inflight.Holder(node.current(), lock_key("PS-1"), "t"))
    inflight.release(redis_client, running)
    assert not redis_client.exists(inflight.KEY) and not redis_client.exists(inflight.HOLDERS)
    redis_client.zadd(unstarted.KEY, {running: now.timestamp()})
    node.taken(redis_client, TRIAGE, ["d-1"], node.current())  # off the queue, then started: no trace left
    unstarted.started(redis_client, running)
    assert not redis_client.exists(unstarted.KEY) and not redis_client.exists(unstarted.HOLDERS)


def test_the_loop_ticks_on_its_own_and_outlives_a_redis_that_goes_away(redis_url, redis_client, caplog):
    dead = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    broken = Timekeeper(celery, settings_for(redis_url), dead)
    with caplog.at_level(logging.WARNING, logger="worker.timekeeper"):
        broken._tick_safely()
        broken._tick_safely()
    assert [r.getMessage() for r in caplog.records].count(
        "clock: Redis does not answer (ConnectionError); reminders and recovery wait for it") == 1

    services = make_services(redis_url, redis_client)
    now = datetime.now(UTC)
    prop = decision_property("L1", now - timedelta(minutes=30, seconds=1), now)
    clock = Timekeeper(celery, settings_for(redis_url, DISPATCH_INTERVAL_SECONDS="0.1"), redis_client).start()
    try:
        schedule_for_decision(services, "PS-1", prop, now)  # its 50 % is due already
        deadline = time.monotonic() + 3
        while not redis_client.llen(TIME_QUEUE) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        clock.stop()
    assert [(name, args) for name, args, _ in queued(redis_client, TIME_QUEUE)] == [(FIRE, ["PS-1|50"])]


class BeatService:  # what beat_init sends: celery.beat.Service, of which the clock needs the app
    app = celery


def test_beat_init_starts_one_clock(redis_url, redis_client, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setattr(timekeeper, "_running", None)
    beat_init.send(sender=BeatService())
    started = timekeeper._running
    try:
        assert started is not None and started._thread.is_alive()
        assert started.redis.connection_pool.connection_kwargs["port"] == redis_client.connection_pool.connection_kwargs["port"]
        beat_init.send(sender=BeatService())  # an embedded beat signals too: still one
        assert timekeeper._running is started
    finally:
        started.stop()
