"""A running firing renews its claim and lock; a dead one gives both up within FIRING_HOLD (the
chaos run: reminders caught in a killed time-lane worker came 5 minutes late, held for the whole
task time limit)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from worker.reminders import firing
from worker.reminders.store import CLAIMED, ReminderStore

HOLD = timedelta(seconds=1)


def test_a_running_firing_keeps_its_claim_and_lock_and_a_dead_one_lets_them_lapse(redis_client, monkeypatch):
    monkeypatch.setattr(firing, "HOLD_RENEW_EVERY", 0.2)
    store = ReminderStore(redis_client)
    name = "PS-1|75"
    redis_client.zadd(CLAIMED, {name: (datetime.now(timezone.utc) + HOLD).timestamp()})
    token = store.lock(name, HOLD)
    renewal = firing._Renewal(store, name, token, HOLD).start()
    time.sleep(2.5)  # well past the hold: renewed meanwhile
    assert store.lock(name, HOLD) is None  # still held by the running firing
    assert redis_client.zscore(CLAIMED, name) > time.time()
    renewal.stop()  # the firing's worker dies: nothing renews any more
    time.sleep(1.3)
    assert redis_client.zscore(CLAIMED, name) < time.time()  # the clock hands it out again
    assert store.lock(name, HOLD) is not None


def test_the_hold_is_short_whatever_the_task_time_limit():
    assert firing.hold_for(None) == firing.FIRING_HOLD == timedelta(seconds=30)
    assert firing.HOLD_RENEW_EVERY * 2 < firing.FIRING_HOLD.total_seconds()
