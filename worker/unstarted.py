"""Intake tasks taken off the queue by a worker that died before recording them: queued again.

Celery's Redis transport takes a message with BRPOP and only then records it as unacknowledged
(a separate HSET). A worker SIGKILLed in between, or one whose BRPOP Redis still serves in the
moment after the kill, before it has seen the connection close, takes the message with it: it is
in neither the queue nor `unacked`, and no visibility timeout ever brings it back (celery#7950,
kombu#305). The chaos run (`python -m bench chaos`) lost the webhook that arrived right after a
worker's SIGKILL this way, every time; only the sweep found the request, minutes later.

So the intake marks every task it queues (`psw:queued`, member: task name and arguments as in
worker/inflight.py, score: when it was queued), in the same script that queues it
(worker/deliveries.py), and the task removes the mark when it starts. The clock
(worker/timekeeper.py) queues again a mark that is older than every message still in the queue
(the queue is first in, first out, so such a message has left it) and older than MIN_AGE (time
for a worker to start what it took). A message a slow worker had merely reserved may so run
twice: the per-issue triage lock, the resumable progress and the markers make that harmless.

A node that takes a marked message names itself on the mark (`psw:queued:holders`, worker/node.py
`taken`), so the supervisor that reaped it hands the marks it had taken back at once
(worker/node.hand_back) rather than after MIN_AGE. And since a live node names what it takes
within milliseconds, a mark whose message left the queue and that the clock sees unnamed for
NAMING_GRACE (2 s) was taken by a node that died before it could (the webhook right after a SIGKILL,
above): queued again then, with or without a supervisor. A node too starved to name in time costs a
second run of the task, which the lock and the progress make harmless.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import redis

from worker.inflight import requeue_marks
from worker.liveness import queued_at

log = logging.getLogger(__name__)

KEY = "psw:queued"
HOLDERS = KEY + ":holders"  # member -> the node that took its message
MIN_AGE = timedelta(seconds=30)
# A node names itself on a mark within milliseconds of taking its message (worker/node.py `taken`,
# on task_received, before the task can start). One seen unnamed this long after its message left
# the queue was taken by a node that died first: queued again without waiting for MIN_AGE.
NAMING_GRACE = timedelta(seconds=2)


def started(client: redis.Redis, task_member: str) -> None:
    """The task of this mark began: it is no longer only queued."""
    pipe = client.pipeline()
    pipe.zrem(KEY, task_member)
    pipe.hdel(HOLDERS, task_member)
    pipe.execute()


def requeue_unstarted(client: redis.Redis, now: datetime, queue: str,
                      message_for: Callable[[str, list], bytes], batch: int = 100,
                      unnamed_since: dict[str, float] | None = None) -> list[str]:
    """Queue again every mark whose message left the queue without starting: MIN_AGE after it was
    queued, or, when no node named itself on it, NAMING_GRACE after the clock first saw it so.
    `unnamed_since`: the clock's memory of the latter (member -> when first seen), kept between
    ticks by the caller."""
    oldest = client.lindex(queue, -1)  # the next message a worker takes: the oldest still queued
    left_before = now.timestamp()
    if oldest is not None:
        stamp = queued_at(oldest)
        if stamp is None:
            return []  # cannot tell what left the queue; wait for a stamped message at its end
        left_before = stamp
    gone = client.zrangebyscore(KEY, "-inf", f"({left_before}", start=0, num=batch, withscores=True)
    names = client.hmget(HOLDERS, [m for m, _ in gone]) if gone else []
    old, seen = (now - MIN_AGE).timestamp(), dict(unnamed_since or {})
    due, unnamed = [], {}
    for (task_member, since), name in zip(gone, names):
        if since < old:
            due.append(task_member)
        elif name is None and unnamed_since is not None:
            first = seen.get(task_member.decode(), now.timestamp())
            if now.timestamp() - first >= NAMING_GRACE.total_seconds():
                due.append(task_member)
            else:
                unnamed[task_member.decode()] = first
    if unnamed_since is not None:
        unnamed_since.clear()
        unnamed_since.update(unnamed)
    queued = requeue_marks(client, KEY, due, queue, message_for, "queued")
    if queued:
        log.warning("recovery: %d task(s) taken off the queue by a lost worker queued again: %s",
                    len(queued), queued)
    return queued
