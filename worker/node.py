"""Which Celery node a process works for (`<host>:<pid of the node's main process>`), the marks it
holds, and handing a dead node's marks back.

A node names itself on the marks of what it holds: a running triage on its in-flight mark, with
its issue lock (worker/inflight.py, worker/tasks.py); a message it took off the queue on its
queued mark (worker/unstarted.py), or on the in-flight mark of a retry waiting for its countdown;
a reminder firing it took in its own set, `psw:node:<node>:firings` (`taken`, on Celery's
task_received, in the node's main process). When the node's main process
dies, its supervisor (worker/supervise.py) calls `hand_back`: the clock (worker/timekeeper.py)
queues the node's work again at its next tick, instead of after the in-flight lease (30 s) or the
queued marks' MIN_AGE (30 s). A pid names one live process on its host, and the supervisor has
reaped the one it names and waited for its group to be gone: a live node's marks are never handed
back, and the issue lock, the progress and the markers (issue 10) still make a second run of a
task harmless.

The pool's processes run the tasks; they are forks of the main process, so its pid is their
parent's. A process outside a worker (a test calling a task, the web) names itself.
"""
from __future__ import annotations

import json
import logging
import os
import socket
from datetime import datetime

import redis
from celery.signals import task_received, worker_init, worker_process_init

from worker import inflight, redis_connect, unstarted
from worker.queues import FIRE_REMINDER
from worker.reminders.store import CLAIMED, epoch
from worker.triage_guard import LEASE

log = logging.getLogger(__name__)

# KEYS: queued zset and holders, in-flight zset and holders. ARGV: member, node, waiting record.
# A queued mark is this node's now; so is an in-flight mark nobody holds (a retry's delayed message).
_TAKEN = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
if redis.call('ZSCORE', KEYS[3], ARGV[1]) and redis.call('HEXISTS', KEYS[4], ARGV[1]) == 0 then
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[3])
end
"""
# The reminders whose firing messages a node took; a live node's set expires a while after its
# last firing (no cleanup on each firing's end: handing back a finished one is a no-op).
FIRINGS_KEPT = 3600


def firings_key(node: str) -> str:
    return f"psw:node:{node}:firings"


# KEYS: the dead node's firings set, the reminders' claims. ARGV: now. Each reminder still claimed
# falls due now: the clock's dispatch queues it again (its lock, if its firing had started, still
# keeps a second one from running until that lock lapses).
_HAND_BACK_FIRINGS = """
local handed = 0
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local lease = redis.call('ZSCORE', KEYS[2], name)
  if lease and tonumber(lease) > tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[2], ARGV[1], name)
    handed = handed + 1
  end
end
redis.call('DEL', KEYS[1])
return handed
"""

# KEYS: in-flight zset and holders, queued zset and holders. ARGV: node, now, lease seconds.
# The node's running triages fall due now and their issue locks go (if they still hold that
# triage's token); its waiting retries fall due when their countdown ends (their deadline less the
# lease); the queued marks of messages it took fall due at once (the oldest there can be).
_HAND_BACK = """
local handed = 0
local held = redis.call('HGETALL', KEYS[2])
for i = 1, #held, 2 do
  local ok, holder = pcall(cjson.decode, held[i + 1])
  if ok and type(holder) == 'table' and holder.node == ARGV[1] then
    redis.call('HDEL', KEYS[2], held[i])
    local due = redis.call('ZSCORE', KEYS[1], held[i])
    if due then
      local at = tonumber(ARGV[2])
      if holder.waiting then at = tonumber(due) - tonumber(ARGV[3]) end
      if tonumber(due) > at then redis.call('ZADD', KEYS[1], at, held[i]) end
      handed = handed + 1
    end
    if type(holder.lock) == 'string' and redis.call('GET', holder.lock) == holder.token then
      redis.call('DEL', holder.lock)
    end
  end
end
local taken = redis.call('HGETALL', KEYS[4])
for i = 1, #taken, 2 do
  if taken[i + 1] == ARGV[1] then
    redis.call('HDEL', KEYS[4], taken[i])
    if redis.call('ZADD', KEYS[3], 'XX', 'CH', 0, taken[i]) == 1 then handed = handed + 1 end
  end
end
return handed
"""

_current: str | None = None


def name(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}"


def current() -> str:
    return _current or name(os.getpid())


@worker_init.connect
def _main_process(**_) -> None:
    global _current
    _current = name(os.getpid())


@worker_process_init.connect
def _pool_process(**_) -> None:
    global _current
    _current = name(os.getppid())


def taken(client: redis.Redis, task_name: str, args: list, node: str) -> None:
    """The node took the message of task `task_name` (`args`) off the queue; it has not started."""
    if task_name == FIRE_REMINDER:
        pipe = client.pipeline()
        pipe.sadd(firings_key(node), args[0])
        pipe.expire(firings_key(node), FIRINGS_KEPT)
        pipe.execute()
        return
    client.eval(_TAKEN, 4, unstarted.KEY, unstarted.HOLDERS, inflight.KEY, inflight.HOLDERS,
                inflight.member(task_name, args), node, json.dumps({"node": node, "waiting": True}, separators=(",", ":")))


def hand_back(client: redis.Redis, node: str, now: datetime) -> int:
    """The node is dead (its supervisor reaped its main process): what it held is queued again at
    the clock's next tick; how many marks were handed back."""
    handed = int(client.eval(_HAND_BACK, 4, inflight.KEY, inflight.HOLDERS, unstarted.KEY, unstarted.HOLDERS,
                             node, now.timestamp(), LEASE.total_seconds()))
    handed += int(client.eval(_HAND_BACK_FIRINGS, 2, firings_key(node), CLAIMED, epoch(now)))
    if handed:
        log.warning("recovery: %d task(s) of dead node %s handed back", handed, node)
    return handed


_clients: dict[str, redis.Redis] = {}


@task_received.connect
def _took(sender=None, request=None, **_) -> None:
    url = sender.app.conf.broker_url
    if url not in _clients:  # short timeouts: this runs on the consumer's loop
        _clients[url] = redis_connect.client(sender.app.conf.psw_settings, connect_timeout=1, timeout=1)
    try:
        taken(_clients[url], request.name, list(request.args or ()), current())
    except redis.RedisError as exc:  # the marks' own ages still bring the work back
        log.warning("could not note the message of %s as taken: %s", request.name, exc)
