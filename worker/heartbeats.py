"""The Celery side of worker/liveness.py: who writes the heartbeats, and the worker's watchdog.

- `Heartbeat`, a consumer bootstep: beats on the consumer loop's own timer, so a loop that hangs
  (a broker connection half-restored, a stuck restore of unacknowledged messages) stops beating.
- The watchdog, a thread of the worker's main process: when the loop has not turned for
  WORKER_WATCHDOG_SECONDS it logs why and exits the process with code 70, so the supervisor (psw
  run, compose, Kubernetes) starts a fresh one. Upstream Celery/kombu reconnect on their own in
  most cases; this covers the ones where they do not (celery#8030, #9054, #10205, #10302).
- `HeartbeatScheduler`: beat's scheduler, stamping a heartbeat on every tick and ticking at
  least every HEARTBEAT_INTERVAL_SECONDS.
- Signals: every task started stamps "last consumed"; every message published through Celery
  carries its queued-at instant (the intake and the dispatcher stamp theirs in worker/queueing.py).
"""
from __future__ import annotations

import logging
import os
import threading
import time

import redis
from celery import bootsteps
from celery.beat import PersistentScheduler
from celery.signals import before_task_publish, task_prerun, worker_shutting_down

from worker import clock, redis_connect
from worker.liveness import QUEUED_AT_HEADER, beat_tick, mark_consumed, worker_beat
from worker.queueing import ISSUE_MARK
from worker.settings import LivenessSettings

log = logging.getLogger(__name__)

WATCHDOG_EXIT_CODE = 70


def _client(app) -> redis.Redis:
    # Short timeouts: these writes run on the consumer loop and the beat loop.
    return redis_connect.client(app.conf.psw_settings, connect_timeout=1, timeout=1)


class Watchdog:
    """Exits the process when `turned()` has not been called for `limit` seconds."""

    def __init__(self, limit: float, exit=os._exit):
        self.limit = limit
        self._exit = exit
        self._last = time.monotonic()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def turned(self) -> None:
        self._last = time.monotonic()
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="psw-watchdog", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def stalled_for(self) -> float:
        return time.monotonic() - self._last

    def _watch(self) -> None:
        while not self._stopped.wait(min(1.0, self.limit / 4)):
            stalled = self.stalled_for()
            if stalled > self.limit:
                log.critical("watchdog: the consumer loop has not turned for %.0f s (limit %.0f s): exiting "
                             "with code %d so the supervisor starts a fresh worker", stalled, self.limit,
                             WATCHDOG_EXIT_CODE)
                logging.shutdown()
                self._exit(WATCHDOG_EXIT_CODE)
                return


_watchdog: Watchdog | None = None


class Heartbeat(bootsteps.StartStopStep):
    """Consumer bootstep: heartbeat and watchdog feed on the consumer loop's timer."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, c, **kwargs):
        super().__init__(c, **kwargs)
        self.limits = LivenessSettings.from_env()
        self.client = _client(c.app)
        self.tref = None

    def start(self, c):
        global _watchdog
        if _watchdog is None:
            _watchdog = Watchdog(self.limits.watchdog)
        self.beat(c)
        self.tref = c.timer.call_repeatedly(self.limits.heartbeat_interval, self.beat, (c,), priority=10)

    def stop(self, c):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def beat(self, c):
        _watchdog.turned()
        try:
            worker_beat(self.client, c.hostname, clock.now().timestamp(), ttl=self.limits.worker_max_age * 4)
        except redis.RedisError as exc:
            log.warning("heartbeat not written: %s", type(exc).__name__)


@worker_shutting_down.connect
def _stop_watchdog(**_kwargs):
    # A warm shutdown waits for running tasks with the loop stopped: that is no stall.
    if _watchdog is not None:
        _watchdog.stop()


@task_prerun.connect
def _consumed(**_kwargs):
    from worker.runtime import services

    try:
        mark_consumed(services().redis, clock.now().timestamp())
    except redis.RedisError:
        pass  # the task itself will meet Redis's absence and retry


@before_task_publish.connect
def _stamp(headers=None, **_kwargs):
    if headers is None:
        return
    headers.setdefault(QUEUED_AT_HEADER, clock.now().timestamp())
    # A retry is published by the task itself, its argsrepr rebuilt from the bare arguments: keep
    # the issue key the first message carried, so Flower still finds a retrying triage by key.
    from celery import current_task

    request = getattr(current_task, "request", None)
    previous = getattr(request, "argsrepr", None) or ""
    if request is not None and request.id == headers.get("id") and ISSUE_MARK in previous:
        headers["argsrepr"] = previous


class HeartbeatScheduler(PersistentScheduler):
    """Beat's scheduler: a heartbeat on every tick, a tick at least every heartbeat interval."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = LivenessSettings.from_env()
        self.liveness_client = _client(self.app)

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        try:
            beat_tick(self.liveness_client, clock.now().timestamp())
        except redis.RedisError as exc:
            log.warning("beat heartbeat not written: %s", type(exc).__name__)
        return min(interval, self.limits.heartbeat_interval)
