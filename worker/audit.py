"""The audit trail per issue: each decision and each write, newest first, bounded in count and age.

An admin reads it with `psw audit KEY` or `GET /admin/issues/<KEY>`. Entries hold what was
decided and what was (or, in shadow mode, would have been) written; never credentials.
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import redis

from worker import clock

MAX_ENTRIES = 200
MAX_AGE = timedelta(days=90)


def _key(issue_key: str) -> str:
    return f"psw:audit:{issue_key}"


class AuditTrail:
    def __init__(self, client: redis.Redis, max_entries: int = MAX_ENTRIES, max_age: timedelta = MAX_AGE):
        self.redis = client
        self.max_entries = max_entries
        self.max_age = max_age

    def record(self, issue_key: str, kind: str, **entry: Any) -> dict:
        """Append an entry (`kind`: "triage", "reminder", ...) and return it as stored."""
        stored = {"at": clock.now().isoformat(), "kind": kind, **entry}
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(_key(issue_key), json.dumps(stored, default=str, sort_keys=True))
        pipe.ltrim(_key(issue_key), 0, self.max_entries - 1)
        # The whole list expires once its newest entry is this old; older entries inside a live
        # list are dropped when read.
        pipe.expire(_key(issue_key), int(self.max_age.total_seconds()))
        pipe.execute()
        return stored

    def entries(self, issue_key: str) -> list[dict]:
        oldest = (clock.now() - self.max_age).isoformat()
        rows = [json.loads(raw) for raw in self.redis.lrange(_key(issue_key), 0, -1)]
        return [row for row in rows if row["at"] >= oldest]
