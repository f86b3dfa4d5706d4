"""Webhook deliveries in Redis: dedupe on the provider's id, the body kept for the worker.

Claiming a delivery, storing its body and queueing its task happen in one Lua script, so they
happen together or not at all: a failure can never leave a delivery marked seen but not queued
(Jira's retry would then be dropped as a duplicate) nor queued twice.
"""
from __future__ import annotations

import json

import redis

from worker import clock, unstarted
from worker.grouped_script import GroupedScript

MEMORY_SINCE_KEY = "psw:memory-since"

# KEYS: dedupe key, body key, queue list, memory-since marker, queued marks. ARGV: dedupe ttl,
# body, body ttl, task message, now (ISO), the task's queued mark ('' for none), now (seconds).
# The marker says since when this Redis remembers deliveries and triages (worker/triage.py reads
# an issue first when its request is older than that); the queued mark lets the clock queue the
# task again if a dying worker takes its message with it (worker/unstarted.py).
# Redis does not roll a script back: the one write that can fail (LPUSH onto a key of the wrong
# type) goes first, and a script runs alone, so the EXISTS check is as good as SET NX.
_CLAIM_AND_QUEUE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('LPUSH', KEYS[3], ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
redis.call('SET', KEYS[4], ARGV[5], 'NX')
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[5], ARGV[7], ARGV[6])
end
return 1
"""


def _dedupe_key(delivery_id: str) -> str:
    return f"psw:delivery:{delivery_id}:seen"


def _body_key(delivery_id: str) -> str:
    return f"psw:delivery:{delivery_id}:body"


class DeliveryStore:
    def __init__(self, client: redis.Redis, dedupe_ttl: int, body_ttl: int):
        self.redis = client
        self.dedupe_ttl = dedupe_ttl
        self.body_ttl = body_ttl
        # Grouped: webhooks arriving together share one round trip (worker/grouped_script.py).
        self._claim_and_queue = GroupedScript(client, _CLAIM_AND_QUEUE)

    def claim_and_queue(self, delivery_id: str, raw_body: bytes, queue: str, message: bytes,
                        mark: str = "") -> bool:
        """Queue `message` unless this delivery was seen before; True when it was queued. `mark`:
        the task's queued mark (worker/unstarted.py), written with it."""
        now = clock.now()
        keys = [_dedupe_key(delivery_id), _body_key(delivery_id), queue, MEMORY_SINCE_KEY, unstarted.KEY]
        return bool(self._claim_and_queue(keys=keys, args=[self.dedupe_ttl, raw_body, self.body_ttl,
                                                           message, now.isoformat(), mark, now.timestamp()]))

    def body(self, delivery_id: str) -> dict | None:
        raw = self.redis.get(_body_key(delivery_id))
        return None if raw is None else json.loads(raw)
