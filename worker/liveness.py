"""Liveness you can see: heartbeats in Redis, and the checks `/readyz`, the metrics and
`psw health` judge them by.

Who writes what:
- each worker's consumer loop writes its heartbeat every HEARTBEAT_INTERVAL_SECONDS (a Celery
  consumer bootstep on the loop's own timer, so a loop that hangs stops beating);
- every task a worker starts stamps "last consumed";
- beat stamps its heartbeat on every scheduler tick;
- every queued message carries the instant it was queued (header `psw_queued_at`), so the oldest
  one's age can be read off the tail of the list.

The checks (thresholds in worker/settings.py, LivenessSettings) fail when no worker has beaten
recently, when beat has not ticked, when the queue is non-empty and nothing consumed it for a
while, when the oldest queued task is too old, or when due reminders wait too long to be claimed
or, once claimed, for a time-lane worker to take them.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import redis

from worker.queues import TIME_QUEUE
from worker.reminders.store import DUE

WORKER_KEY = "psw:liveness:worker:"  # + hostname; value: epoch seconds of the last beat
BEAT_KEY = "psw:liveness:beat"
CONSUMED_KEY = "psw:liveness:consumed"
QUEUED_AT_HEADER = "psw_queued_at"


def worker_beat(client: redis.Redis, hostname: str, now: float, ttl: float) -> None:
    # The key outlives a dead worker only briefly, so the list of workers is the live ones.
    client.set(WORKER_KEY + hostname, repr(now), ex=max(1, int(ttl)))


def beat_tick(client: redis.Redis, now: float) -> None:
    client.set(BEAT_KEY, repr(now))


def mark_consumed(client: redis.Redis, now: float) -> None:
    client.set(CONSUMED_KEY, repr(now))


def queued_at(message: bytes | str) -> float | None:
    """When a raw queued message (kombu's Redis envelope) was queued, if it says."""
    try:
        value = json.loads(message)["headers"][QUEUED_AT_HEADER]
        return float(value)
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Snapshot:
    now: float
    workers: dict[str, float]  # hostname -> seconds since its last beat
    beat_age: float | None  # None: beat never ticked
    queue_length: int
    oldest_queued_age: float | None  # None: empty queue, or its oldest message has no stamp
    consumed_age: float | None  # None: nothing consumed yet
    # How long the oldest due reminder has waited, unclaimed or queued on the time lane unfired
    # (0: none waits).
    reminder_wait: float
    # Each queue's length and the age of its oldest message (None: empty, or no stamp), for the
    # console's health page; `queue_length` and `oldest_queued_age` are their total and maximum.
    queues: dict[str, tuple[int, float | None]] = field(default_factory=dict)


def _age(now: float, raw) -> float | None:
    return None if raw is None else max(0.0, now - float(raw))


def snapshot(client: redis.Redis, queues: Iterable[str], now: float) -> Snapshot:
    queues = list(queues)
    names = sorted(client.scan_iter(match=WORKER_KEY + "*", count=100))
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.get(name)
    pipe.get(BEAT_KEY)
    pipe.get(CONSUMED_KEY)
    for queue in queues:
        pipe.llen(queue)
        pipe.lindex(queue, -1)  # LPUSHed, consumed from the right: the tail is the oldest
    pipe.zrangebyscore(DUE, "-inf", now, start=0, num=1, withscores=True)
    replies = pipe.execute()
    beats, (beat, consumed), rest = replies[:len(names)], replies[len(names):len(names) + 2], replies[len(names) + 2:]
    workers = {name.decode()[len(WORKER_KEY):]: _age(now, raw) for name, raw in zip(names, beats) if raw is not None}
    length, oldest, firing_wait, each = 0, None, 0.0, {}
    for i, queue in enumerate(queues):
        length += rest[2 * i]
        stamp = queued_at(rest[2 * i + 1]) if rest[2 * i + 1] is not None else None
        age = None if stamp is None else max(0.0, now - stamp)
        each[queue] = (rest[2 * i], age)
        if age is not None:
            oldest = age if oldest is None else max(oldest, age)
            if queue == TIME_QUEUE:  # claimed, but no time-lane worker took it
                firing_wait = age
    due = rest[-1]
    unclaimed = max(0.0, now - due[0][1]) if due else 0.0
    return Snapshot(now=now, workers=workers, beat_age=_age(now, beat), queue_length=length,
                    oldest_queued_age=oldest, consumed_age=_age(now, consumed),
                    reminder_wait=max(unclaimed, firing_wait), queues=each)


@dataclass(frozen=True)
class Problem:
    check: str  # worker, beat, queue_stalled, queue_oldest, reminders_waiting
    message: str


CHECKS = ("worker", "beat", "queue_stalled", "queue_oldest", "reminders_waiting")


@dataclass(frozen=True)
class Verdict:
    snapshot: Snapshot
    problems: list[Problem] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.problems

    def failing(self) -> set[str]:
        return {p.check for p in self.problems}


def judge(snap: Snapshot, limits) -> Verdict:
    """The problems of a snapshot against `limits` (a LivenessSettings)."""
    problems = []
    fresh = {name: age for name, age in snap.workers.items() if age <= limits.worker_max_age}
    if not fresh:
        problems.append(Problem("worker", f"no worker heartbeat in the last {limits.worker_max_age:g} s"
                                          " (no worker running, or its consumer loop is stuck)"))
    if snap.beat_age is None or snap.beat_age > limits.beat_max_age:
        seen = "never" if snap.beat_age is None else f"{snap.beat_age:.0f} s ago"
        problems.append(Problem("beat", f"beat last ticked {seen} (limit {limits.beat_max_age:g} s)"))
    if snap.queue_length and (snap.consumed_age is None or snap.consumed_age > limits.queue_stall):
        seen = "ever" if snap.consumed_age is None else f"for {snap.consumed_age:.0f} s"
        problems.append(Problem("queue_stalled", f"{snap.queue_length} task(s) queued and nothing consumed {seen}"
                                                 f" (limit {limits.queue_stall:g} s)"))
    if snap.oldest_queued_age is not None and snap.oldest_queued_age > limits.oldest_task_max_age:
        problems.append(Problem("queue_oldest", f"the oldest queued task waits {snap.oldest_queued_age:.0f} s"
                                                f" (limit {limits.oldest_task_max_age:g} s)"))
    if snap.reminder_wait > limits.reminder_max_wait:
        problems.append(Problem("reminders_waiting", f"a due reminder waits {snap.reminder_wait:.0f} s to be claimed"
                                                     f" or fired (limit {limits.reminder_max_wait:g} s)"))
    return Verdict(snap, problems)
