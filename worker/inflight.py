"""Triage tasks in flight, so that those of a dead worker are run again within about a minute.

Redis hands an unacknowledged message to another worker only after the visibility timeout (an
hour by default, which must outlast the longest retry countdown). So every triage task marks
itself in a sorted set (`psw:triage:inflight`, member: task name and arguments, score: a
deadline) when it starts, stretches the deadline while it runs (with its lock's renewal) and
before each retry countdown, and removes the mark when it ends. A worker killed mid-task leaves
its mark behind; `requeue_overdue` (the beat's clock loop, worker/timekeeper.py, every
DISPATCH_INTERVAL_SECONDS) queues such a task again. The per-issue lock and the resumable progress
make a second run harmless: it finishes what the first left, or finds it done.

Worst case from a kill to the task queued again: the lease (30 s, renewed every 10 s, so a mark
is at most 30 s ahead when its worker dies) plus one tick of the clock (1 s by default), then its
turn in the triage queue. README "Exactly once" states it.

Faster when the death is seen: a running triage names its node (worker/node.py) and its issue
lock beside its mark (`psw:triage:inflight:holders`), and the supervisor that reaped a node hands
its marks back at once (worker/node.hand_back). A triage waiting out a retry countdown names no
node until one takes its delayed message.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis

from worker.metrics import RECOVERED

log = logging.getLogger(__name__)

KEY = "psw:triage:inflight"
HOLDERS = KEY + ":holders"  # member -> who runs it: {"node", "lock", "token"} (JSON)

# KEYS: marks zset, queue list, holders hash. ARGV: member, task message. Removing the mark and
# queueing the task happen together: two beats never both queue it, and a crash never drops it.
_TAKE_AND_QUEUE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('LPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0
"""

@dataclass(frozen=True)
class Holder:
    """The node running a triage, and the issue lock (key and token) it holds or is taking."""

    node: str
    lock: str
    token: str

    def encoded(self) -> str:
        return json.dumps({"node": self.node, "lock": self.lock, "token": self.token}, separators=(",", ":"))


def take_and_queue(client: redis.Redis, key: str, queue: str, task_member: str, message: bytes) -> bool:
    """Remove `task_member` from the sorted set `key` (and its holder) and push `message`, both or
    neither."""
    return bool(client.eval(_TAKE_AND_QUEUE, 3, key, queue, key + ":holders", task_member, message))


def member(task_name: str, args: list) -> str:
    return json.dumps([task_name, list(args)], separators=(",", ":"))


def hold(client: redis.Redis, task_member: str, until: datetime, holder: Holder | None = None) -> None:
    """Stretch the mark to `until`; `holder`: the node running it now (None: nobody runs it,
    it waits for a retry)."""
    pipe = client.pipeline()
    pipe.zadd(KEY, {task_member: until.timestamp()})
    if holder is None:
        pipe.hdel(HOLDERS, task_member)
    else:
        pipe.hset(HOLDERS, task_member, holder.encoded())
    pipe.execute()


def release(client: redis.Redis, task_member: str) -> None:
    pipe = client.pipeline()
    pipe.zrem(KEY, task_member)
    pipe.hdel(HOLDERS, task_member)
    pipe.execute()


def requeue_overdue(client: redis.Redis, now: datetime, queue: str,
                    message_for: Callable[[str, list], bytes], batch: int = 100) -> list[str]:
    """Queue again every in-flight task whose deadline passed; the members queued."""
    queued = requeue_marks(client, KEY, client.zrangebyscore(KEY, "-inf", now.timestamp(), start=0, num=batch),
                           queue, message_for, "in-flight")
    if queued:
        log.warning("recovery: %d triage task(s) of a lost worker queued again: %s", len(queued), queued)
    return queued


def requeue_marks(client: redis.Redis, key: str, members, queue: str,
                  message_for: Callable[[str, list], bytes], what: str) -> list[str]:
    """Queue the task each mark of `key` names (once: taking the mark and queueing are one
    script); an unreadable mark is dropped with an error line."""
    queued = []
    for raw in members:
        task_member = raw.decode()
        try:
            task_name, args = json.loads(task_member)
        except (ValueError, TypeError):
            log.error("%s mark %r is unreadable; dropped", what, task_member)
            client.zrem(key, task_member)
            continue
        if take_and_queue(client, key, queue, task_member, message_for(task_name, args)):
            queued.append(task_member)
            RECOVERED.inc()
    return queued


def deadline(now: datetime, lease: timedelta, wait: float = 0.0) -> datetime:
    return now + lease + timedelta(seconds=wait)
