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
(worker/node.hand_back) rather than after MIN_AGE. One taken by a dying node before it could say
so waits for MIN_AGE, as before.
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


def started(client: redis.Redis, task_member: str) -> None:
    """The task of this mark began: it is no longer only queued."""
    pipe = client.pipeline()
    pipe.zrem(KEY, task_member)
    pipe.hdel(HOLDERS, task_member)
    pipe.execute()


def requeue_unstarted(client: redis.Redis, now: datetime, queue: str,
                      message_for: Callable[[str, list], bytes], batch: int = 100) -> list[str]:
    """Queue again every mark whose message left the queue long enough ago without starting."""
    oldest = client.lindex(queue, -1)  # the next message a worker takes: the oldest still queued
    horizon = (now - MIN_AGE).timestamp()
    if oldest is not None:
        stamp = queued_at(oldest)
        if stamp is None:
            return []  # cannot tell what left the queue; wait for a stamped message at its end
        horizon = min(horizon, stamp)
    queued = requeue_marks(client, KEY, client.zrangebyscore(KEY, "-inf", f"({horizon}", start=0, num=batch),
                           queue, message_for, "queued")
    if queued:
        log.warning("recovery: %d task(s) taken off the queue by a lost worker queued again: %s",
                    len(queued), queued)
    return queued
