"""Claim the reminders that fell due and queue one ordinary task for each.

Runs every DISPATCH_INTERVAL_SECONDS in the beat's clock loop (worker/timekeeper.py), which
queues the firings onto the time lane (TIME_QUEUE, worker/queues.py). Claiming and queueing are
one Redis script per batch (store.py). The Celery messages are made here, exactly as
`send_task` would make them (worker/queueing.py), and the script pushes only those of the
members it actually claimed.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from worker.metrics import DISPATCH_LAG
from worker.reminders.store import ReminderStore

log = logging.getLogger(__name__)


@dataclass
class DispatchResult:
    queued: int = 0  # fell due and were queued
    requeued: int = 0  # their lease ran out (worker died, message lost) and were queued again
    # Per batch: the due instants (epoch s) of the members looked at, and time.time() once pushed.
    batches: list[tuple[list[float], float]] = field(default_factory=list)


def dispatch_due(store: ReminderStore, message_for: Callable[[str], bytes], queue: str, now: datetime,
                 lease: timedelta, batch: int = 500, max_batches: int = 200) -> DispatchResult:
    """Claim and queue every reminder due at `now` (at most batch * max_batches per call; the
    next tick takes the rest)."""
    if batch < 1 or max_batches < 1:
        raise ValueError("batch and max_batches must be at least 1")
    result = DispatchResult()
    lease_until = now + lease
    for _ in range(max_batches):
        due, lapsed = store.peek(now, batch)
        if not due and not lapsed:
            break
        names = [name for name, _ in due] + [name for name in lapsed]
        claimed = store.claim_and_queue(now, lease_until, queue, {name: message_for(name) for name in names})
        pushed_at = time.time()
        result.queued += claimed.fresh
        result.requeued += claimed.again
        scores = [score for _, score in due]
        result.batches.append((scores, pushed_at))
        for score in scores:
            DISPATCH_LAG.observe(max(0.0, pushed_at - score))
        if len(due) < batch and len(lapsed) < batch:
            break
    if result.requeued:
        log.warning("reminders: %d claimed reminder(s) outlived their lease and were queued again",
                    result.requeued)
    if result.queued or result.requeued:
        log.info("reminders: queued %d due, %d again", result.queued, result.requeued)
    return result
