"""Sends webhooks the way Jira Cloud does, off the request thread and in order.

Each delivery has an identifier (X-Atlassian-Webhook-Identifier) that stays the same on its
retries; retries carry X-Atlassian-Webhook-Retry with the retry count. Jira retries when the
receiver answers 408, 409, 425, 429 or 5xx, or the connection fails or times out (Atlassian's
"Jira Cloud webhook retry policy"); any other answer ends the delivery. With a secret, the body
is signed: X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>.
"""
from __future__ import annotations

import hashlib
import heapq
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

import requests

log = logging.getLogger("jirasim.webhooks")

RETRY_STATUSES = frozenset({408, 409, 425, 429})


def signature(secret: str, body: bytes) -> str:
    """The X-Hub-Signature value Jira sends for `body` signed with `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def should_retry(status: int | None) -> bool:
    """None stands for a connection error or timeout."""
    return status is None or status >= 500 or status in RETRY_STATUSES


@dataclass(frozen=True)
class Delivery:
    id: str
    event: str
    issue_key: str | None
    body: bytes
    copy_of: str | None = None  # a resend under a new identifier: the delivery it repeats

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass(frozen=True)
class Attempt:
    delivery_id: str
    event: str
    attempt: int  # 1 for the first try; X-Atlassian-Webhook-Retry is attempt - 1
    status: int | None  # None: connection error or timeout
    error: str | None
    at: float  # time.time() when the answer (or the failure) came


class WebhookSender:
    """Sends deliveries from a few lanes, each a queue, a thread and a session. The deliveries of
    one issue share a lane, so they leave in the order they were made (as Jira's mostly do);
    several lanes send concurrently, as Jira does, so one slow answer does not hold up the site."""

    def __init__(self, url: str | None = None, secret: str = "", *, attempts: int = 5,
                 backoff: float = 0.2, timeout: float = 5.0, lanes: int = 4):
        if attempts < 1:
            raise ValueError(f"webhook attempts must be at least 1, got {attempts}")
        if backoff < 0 or timeout <= 0:
            raise ValueError("webhook backoff must be >= 0 and timeout > 0 seconds")
        self.url = url
        self._secret = secret
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        if lanes < 1:
            raise ValueError(f"webhook lanes must be at least 1, got {lanes}")
        self._queues: list[queue.Queue] = [queue.Queue() for _ in range(lanes)]
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._generation = 0
        self._deliveries: dict[str, Delivery] = {}
        self._tries: dict[str, int] = {}
        self._attempts: list[Attempt] = []
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._local = threading.local()  # each lane's own requests.Session
        # Chaos resends (jirasim/chaos.py): asked once per new delivery, ("same" | "new", delay) or None.
        self.resends: Callable[[], tuple[str, float] | None] | None = None
        self._later: list[tuple[float, int, str, str]] = []  # (at, seq, kind, delivery id), a heap
        self._later_seq = 0
        self._later_wake = threading.Condition(self._lock)

    @property
    def signed(self) -> bool:
        return bool(self._secret)

    def configure(self, url: str | None, secret: str | None = None) -> None:
        self.url = url
        if secret is not None:
            self._secret = secret

    def start(self) -> None:
        if not self._threads:
            self._stopping.clear()
            self._threads = [threading.Thread(target=self._run, args=(lane,), name=f"jirasim-webhooks-{i}",
                                              daemon=True) for i, lane in enumerate(self._queues)]
            self._threads.append(threading.Thread(target=self._run_later, name="jirasim-webhooks-later",
                                                  daemon=True))
            for thread in self._threads:
                thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._threads:
            self._stopping.set()
            for lane in self._queues:
                lane.put(None)
            with self._later_wake:
                self._later_wake.notify_all()
            for thread in self._threads:
                thread.join(timeout)
            self._threads = []

    def submit(self, event: str, payload: dict, issue_key: str | None = None) -> Delivery:
        """Record a new delivery of `payload` and queue it for sending."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        delivery = Delivery(str(uuid.uuid4()), event, issue_key, body)
        again = self.resends() if self.resends is not None else None
        with self._lock:
            self._deliveries[delivery.id] = delivery
            self._enqueue(delivery)
            if again is not None and self.url:
                kind, delay = again
                self._later_seq += 1
                heapq.heappush(self._later, (time.monotonic() + delay, self._later_seq, kind, delivery.id))
                self._later_wake.notify_all()
        return delivery

    def _run_later(self) -> None:
        """Sends the chaos resends when their time comes."""
        with self._later_wake:
            while not self._stopping.is_set():
                if not self._later:
                    self._later_wake.wait(0.5)
                    continue
                at, _seq, kind, delivery_id = self._later[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._later_wake.wait(min(wait, 0.5))
                    continue
                heapq.heappop(self._later)
                original = self._deliveries.get(delivery_id)
                if original is None:  # cleared meanwhile
                    continue
                if kind == "new":
                    again = Delivery(str(uuid.uuid4()), original.event, original.issue_key, original.body,
                                     copy_of=original.id)
                    self._deliveries[again.id] = again
                    self._enqueue(again)
                else:
                    self._enqueue(original)
                self._idle.notify_all()

    def resend(self, delivery_id: str) -> Delivery:
        """Deliver a past delivery again, byte for byte, under the same identifier."""
        with self._lock:
            delivery = self._deliveries.get(delivery_id)
            if delivery is None:
                raise KeyError(f"no webhook delivery with id {delivery_id!r}")
            self._enqueue(delivery)
        return delivery

    def _enqueue(self, delivery: Delivery) -> None:
        if not self.url:
            log.info("webhook %s (%s) recorded, not sent: no webhook URL configured",
                     delivery.event, delivery.id)
            return
        self._pending += 1
        lane = self._queues[hash(delivery.issue_key or delivery.id) % len(self._queues)]
        lane.put((self._generation, delivery))

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries.values())

    @property
    def attempt_log(self) -> list[Attempt]:
        with self._lock:
            return list(self._attempts)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery has been sent or given up; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0 and not self._later, timeout)

    def clear(self) -> None:
        """Forget every delivery; queued ones that have not started are dropped."""
        with self._lock:
            self._generation += 1
            self._later.clear()
            self._deliveries.clear()
            self._tries.clear()
            self._attempts.clear()

    def _run(self, lane: queue.Queue) -> None:
        self._local.session = requests.Session()
        while True:
            item = lane.get()
            if item is None:
                self._local.session.close()
                return
            generation, delivery = item
            try:
                if generation == self._generation:
                    self._deliver(delivery)
            except Exception:  # the worker must survive anything one delivery does
                log.exception("webhook %s (%s) failed unexpectedly", delivery.event, delivery.id)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, delivery: Delivery) -> None:
        delay = self.backoff
        for round_ in range(1, self.attempts + 1):
            with self._lock:
                attempt = self._tries.get(delivery.id, 0) + 1
                self._tries[delivery.id] = attempt
            status, error = self._post(delivery, attempt)
            with self._lock:
                self._attempts.append(Attempt(delivery.id, delivery.event, attempt, status, error,
                                              time.time()))
            if status is not None and 200 <= status < 300:
                log.info("webhook %s %s (%s) -> %s", delivery.event, delivery.issue_key or "",
                         delivery.id, status)
                return
            if not should_retry(status):
                log.warning("webhook %s (%s) refused with %s; not retrying", delivery.event,
                            delivery.id, status)
                return
            if round_ < self.attempts:
                if self._stopping.wait(delay):
                    return
                delay *= 2
        log.warning("webhook %s (%s) given up after %d attempts (last: %s)", delivery.event,
                    delivery.id, self.attempts, error or status)

    def _post(self, delivery: Delivery, attempt: int) -> tuple[int | None, str | None]:
        headers = {"Content-Type": "application/json",
                   "X-Atlassian-Webhook-Identifier": delivery.id,
                   "X-Atlassian-Webhook-Flow": "Primary",
                   "User-Agent": "Atlassian Webhook HTTP Client (jirasim)"}
        if attempt > 1:
            headers["X-Atlassian-Webhook-Retry"] = str(attempt - 1)
        if self._secret:
            headers["X-Hub-Signature"] = signature(self._secret, delivery.body)
        url = self.url
        if not url:
            return None, "no webhook URL configured"
        try:
            response = self._local.session.post(url, data=delivery.body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            return None, type(exc).__name__
        response.close()
        return response.status_code, None
