"""Webhook deliveries in Redis: dedupe on the provider's id, and the body kept for the worker.

A delivery is claimed with `SET NX` before it is queued and marked queued after. A repeat of a
delivery that is marked queued is a duplicate; a repeat of one still marked pending (its first
attempt failed between claim and queue, or is in flight) is queued again: the triage is
idempotent, and dropping it could lose the event.
"""
from __future__ import annotations

import enum
import json

import redis

PENDING = b"pending"
QUEUED = b"queued"


class Claim(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    UNFINISHED = "unfinished"  # seen before but never marked queued: queue it again


def _dedupe_key(delivery_id: str) -> str:
    return f"psw:delivery:{delivery_id}:state"


def _body_key(delivery_id: str) -> str:
    return f"psw:delivery:{delivery_id}:body"


class DeliveryStore:
    def __init__(self, client: redis.Redis, dedupe_ttl: int, body_ttl: int):
        self.redis = client
        self.dedupe_ttl = dedupe_ttl
        self.body_ttl = body_ttl

    def claim(self, delivery_id: str, raw_body: bytes) -> Claim:
        """Record the delivery and its body in one round trip and say whether it is new."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(_dedupe_key(delivery_id), PENDING, nx=True, ex=self.dedupe_ttl)
        pipe.get(_dedupe_key(delivery_id))
        pipe.set(_body_key(delivery_id), raw_body, ex=self.body_ttl)
        created, state, _ = pipe.execute()
        if created:
            return Claim.NEW
        return Claim.DUPLICATE if state == QUEUED else Claim.UNFINISHED

    def mark_queued(self, delivery_id: str) -> None:
        self.redis.set(_dedupe_key(delivery_id), QUEUED, xx=True, keepttl=True)

    def body(self, delivery_id: str) -> dict | None:
        raw = self.redis.get(_body_key(delivery_id))
        return None if raw is None else json.loads(raw)
