"""The time lane's clock (issue 10): a loop in the beat process, outside every queue.

Every DISPATCH_INTERVAL_SECONDS it
1. claims the reminders that fell due (and those whose claim lapsed) and pushes their
   `fire_reminder` tasks onto TIME_QUEUE, in one Redis script per batch
   (worker/reminders/dispatch.py, worker/reminders/store.py), for the `worker-time` process;
2. queues again the triage tasks of a lost worker, whose in-flight marks outlived their lease
   (worker/inflight.py), and the intake's tasks a dying worker took off the queue before it
   recorded them (worker/unstarted.py), onto the triage queue.

Why a thread and not a beat task: a beat task is a message that waits in a queue like any other.
With dispatch as a task in the triage queue, a burst of 60 requests with Jira taking 2 s a call
expired 214 dispatch messages and posted a breach reminder 85 s late. Here nothing stands between
a due instant and its firing's message but one tick; and no once-a-second task fills Flower.

It starts on Celery's `beat_init` signal (the module is imported by worker/celery_app.py `make_celery`), so
the process that must run exactly once already does: one beat. Two beats by mistake are still
safe: every claim is atomic, so a reminder or a lost task is queued once.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from celery import Celery
from celery.signals import beat_init

from worker import clock, inflight, redis_connect, unstarted
from worker.queueing import task_message
from worker.queues import FIRE_REMINDER, QUEUE, TIME_QUEUE
from worker.reminders.dispatch import DispatchResult, dispatch_due
from worker.reminders.store import ReminderStore, parse_member
from worker.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Tick:
    dispatched: DispatchResult
    recovered: list[str] = field(default_factory=list)  # in-flight members queued again


class Timekeeper:
    def __init__(self, app: Celery, settings: Settings, client: redis.Redis | None = None):
        self.app = app
        self.reminders = settings.reminders
        # Short timeouts: a Redis that hangs costs a tick, not the loop.
        self.redis = client or redis_connect.client(settings, connect_timeout=2, timeout=5)
        self.store = ReminderStore(self.redis)
        self.interval = self.reminders.dispatch_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self._unnamed: dict[str, float] = {}  # queued marks seen taken by no node (worker/unstarted.py)

    def _fire_message(self, name: str) -> bytes:
        return task_message(self.app, FIRE_REMINDER, [name], TIME_QUEUE, issue=parse_member(name)[0])

    def _triage_message(self, task_name: str, args: list) -> bytes:
        return task_message(self.app, task_name, args, QUEUE)

    def tick(self, now: datetime | None = None) -> Tick:
        now = now or clock.now()
        dispatched = dispatch_due(self.store, self._fire_message, TIME_QUEUE, now,
                                  timedelta(seconds=self.reminders.lease), batch=self.reminders.dispatch_batch)
        recovered = inflight.requeue_overdue(self.redis, now, QUEUE, self._triage_message)
        recovered += unstarted.requeue_unstarted(self.redis, now, QUEUE, self._triage_message,
                                                 unnamed_since=self._unnamed)
        return Tick(dispatched, recovered)

    def _tick_safely(self) -> None:
        try:
            self.tick()
        except redis.RedisError as exc:
            # Once per outage, not once a second; the claims wait in Redis for its return.
            if not self._failing:
                log.warning("clock: Redis does not answer (%s); reminders and recovery wait for it",
                            type(exc).__name__)
            self._failing = True
            return
        except Exception:  # a bug must cost a tick, never the loop
            log.exception("clock: tick failed")
            return
        if self._failing:
            log.warning("clock: Redis answers again; dispatching")
        self._failing = False

    def run(self) -> None:
        """Tick every interval at a fixed rate until stopped; a slow tick is followed at once by
        the next, with no burst of catch-up ticks."""
        log.info("clock: dispatching due reminders onto %s and recovering lost triage tasks every %g s",
                 TIME_QUEUE, self.interval)
        next_at = time.monotonic()
        while not self._stop.is_set():
            self._tick_safely()
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at, delay = time.monotonic(), 0.0
            self._stop.wait(delay)

    def start(self) -> "Timekeeper":
        self._thread = threading.Thread(target=self.run, name="psw-clock", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


_running: Timekeeper | None = None


@beat_init.connect
def _start_with_beat(sender=None, **_kwargs) -> None:
    global _running
    if _running is None:
        _running = Timekeeper(sender.app, Settings.from_env()).start()
