"""One triage per issue at a time: a Redis lock with a lease, renewed while the triage runs.

Two deliveries of one request (Jira re-sends under new identifiers, a webhook registered twice,
the sweep racing a late webhook) would otherwise both find no progress and both comment. The
holder renews its lease every RENEW_EVERY; a worker that dies stops renewing and the lock lapses
after LEASE, so a lost holder never blocks the issue for long. Release and renewal check the
holder's token: a lock that lapsed and was taken by another task is never removed by the first.
The task that finds the lock taken retries a few seconds later and finds the first one's work done
(worker/triage.py re-reads an issue it has progress for).

A triage whose write timed out (JiraWriteUncertain: Jira may still carry it out) keeps the lock
for the write's settle time instead of dropping it (`keep_for`): another delivery of the issue
that took the lock at once would look before the slow write landed and write again (the chaos
run found a triage comment twice this way, a resend under a new identifier posting 0.5 s before
the first delivery's slow comment landed).
"""
from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import redis

from worker import token_lock

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
RENEW_EVERY = timedelta(seconds=10)


class IssueBusy(Exception):
    """Another triage of this issue holds the lock."""


def lock_key(issue_key: str) -> str:
    return f"psw:triage:lock:{issue_key}"


class TriageGuard:
    """`with TriageGuard(client, key):` holds the issue's lock or raises IssueBusy.

    `on_renew` runs at every renewal (the task stretches its in-flight mark with it)."""

    def __init__(self, client: redis.Redis, issue_key: str, *, lease: timedelta = LEASE,
                 renew_every: timedelta = RENEW_EVERY, on_renew: Callable[[], None] | None = None):
        self.redis = client
        self.key = lock_key(issue_key)
        self.lease_ms = int(lease.total_seconds() * 1000)
        self.renew_every = renew_every.total_seconds()
        self.on_renew = on_renew
        self.token = uuid.uuid4().hex
        self._keep_ms = 0
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __enter__(self) -> "TriageGuard":
        if not self.redis.set(self.key, self.token, nx=True, px=self.lease_ms):
            raise IssueBusy(f"{self.key} is held by another triage")
        self._renewer = threading.Thread(target=self._renew_until_stopped, name=f"renew {self.key}",
                                         daemon=True)
        self._renewer.start()
        return self

    def keep_for(self, seconds: float) -> None:
        """On leaving, hold the lock `seconds` more (renewal stopped) instead of releasing it."""
        self._keep_ms = max(1, int(seconds * 1000))

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        try:
            if self._keep_ms:
                self.redis.eval(token_lock.RENEW, 1, self.key, self.token, self._keep_ms)
            else:
                self.redis.eval(token_lock.RELEASE, 1, self.key, self.token)
        except redis.RedisError as exc:  # the lease runs out by itself
            log.warning("could not release %s: %s", self.key, exc)

    def _renew_until_stopped(self) -> None:
        while not self._stop.wait(self.renew_every):
            try:
                if not self.redis.eval(token_lock.RENEW, 1, self.key, self.token, self.lease_ms):
                    log.warning("%s lapsed before it was renewed (another triage may run)", self.key)
                    return
                if self.on_renew is not None:
                    self.on_renew()
            except redis.RedisError as exc:  # try again at the next tick; the lease still runs
                log.warning("could not renew %s: %s", self.key, exc)
