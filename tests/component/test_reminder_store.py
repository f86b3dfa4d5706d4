"""The Redis schedule: replace, add, remove, claim-and-queue, leases, marks; on a real Redis."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from worker.reminders.dispatch import dispatch_due
from worker.reminders.store import CLAIMED, DUE, ReminderStore, member, parse_member

UTC = timezone.utc
T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
QUEUE = "test-reminders-queue"


@pytest.fixture
def store(redis_client) -> ReminderStore:
    return ReminderStore(redis_client)


def queued(client) -> list[str]:
    return [m.decode() for m in reversed(client.lrange(QUEUE, 0, -1))]


def run_dispatch(store, now, batch=500):
    return dispatch_due(store, lambda name: name.encode(), QUEUE, now, LEASE, batch=batch)


def test_members_name_issue_and_threshold_and_nothing_else():
    assert member("PS-12", "75") == "PS-12|75"
    assert parse_member(b"PS-12|75") == ("PS-12", "75")
    for bad in ("PS-12", "|75", "PS-12|", ""):
        with pytest.raises(ValueError, match="not a scheduled reminder"):
            parse_member(bad)
    with pytest.raises(ValueError, match="not an issue key"):
        member("PS 1|x", "50")


def test_replace_clears_the_named_codes_and_schedules_the_new_ones(store, redis_client):
    store.replace("PS-1", [], {"50": T0, "75": T0 + timedelta(minutes=15)})
    redis_client.zadd(CLAIMED, {"PS-1|90": 1.0})  # being fired
    store.replace("PS-1", ["50", "75", "90", "100"], {"100": T0 + timedelta(hours=1)})
    assert redis_client.zrange(DUE, 0, -1, withscores=True) == [(b"PS-1|100", (T0 + timedelta(hours=1)).timestamp())]
    assert redis_client.zcard(CLAIMED) == 0


def test_remove_reports_what_was_there_and_leaves_other_issues_alone(store):
    store.replace("PS-1", [], {"50": T0, "75": T0})
    store.replace("PS-2", [], {"50": T0})
    assert store.remove("PS-1", ["50", "75", "90"]) == ["50", "75"]
    assert store.scheduled("PS-1", ["50", "75"]) == {}
    assert store.scheduled("PS-2", ["50"]) == {"50": ("due", T0.timestamp())}


def test_add_missing_never_touches_a_scheduled_or_claimed_reminder(store, redis_client):
    store.replace("PS-1", [], {"50": T0})
    redis_client.zadd(CLAIMED, {"PS-1|75": 5.0})
    later = T0 + timedelta(hours=1)
    assert store.add_missing("PS-1", {"50": later, "75": later, "90": later}) == ["90"]
    assert store.scheduled("PS-1", ["50", "75", "90"]) == {
        "50": ("due", T0.timestamp()), "75": ("claimed", 5.0), "90": ("due", later.timestamp())}


def test_only_due_reminders_are_claimed_and_each_is_queued_once(store, redis_client):
    store.replace("PS-1", [], {"50": T0, "75": T0 + timedelta(minutes=15)})
    assert run_dispatch(store, T0 - timedelta(seconds=1)).queued == 0
    result = run_dispatch(store, T0)
    assert (result.queued, result.requeued) == (1, 0)
    assert queued(redis_client) == ["PS-1|50"]
    assert store.scheduled("PS-1", ["50", "75"])["50"] == ("claimed", (T0 + LEASE).timestamp())
    assert run_dispatch(store, T0 + timedelta(seconds=30)).queued == 0
    assert queued(redis_client) == ["PS-1|50"]


def test_a_claim_whose_lease_ran_out_is_queued_again_not_lost(store, redis_client):
    store.replace("PS-1", [], {"50": T0})
    run_dispatch(store, T0)
    assert run_dispatch(store, T0 + LEASE - timedelta(seconds=1)).requeued == 0
    result = run_dispatch(store, T0 + LEASE)
    assert (result.queued, result.requeued) == (0, 1)
    assert queued(redis_client) == ["PS-1|50", "PS-1|50"]
    assert store.scheduled("PS-1", ["50"])["50"] == ("claimed", (T0 + 2 * LEASE).timestamp())


def test_hold_renews_only_a_claimed_member_and_release_ends_it(store):
    store.replace("PS-1", [], {"50": T0})
    assert not store.hold("PS-1|50", T0 + LEASE)  # due, not claimed
    run_dispatch(store, T0)
    assert store.hold("PS-1|50", T0 + 10 * LEASE)
    assert store.scheduled("PS-1", ["50"])["50"] == ("claimed", (T0 + 10 * LEASE).timestamp())
    assert store.release("PS-1|50") and not store.release("PS-1|50")
    assert not store.hold("PS-1|50", T0 + LEASE)


def test_defer_puts_a_claimed_member_back_at_its_new_instant(store):
    store.replace("PS-1", [], {"50": T0})
    run_dispatch(store, T0)
    later = T0 + timedelta(hours=2)
    assert store.defer("PS-1|50", later)
    assert store.scheduled("PS-1", ["50"]) == {"50": ("due", later.timestamp())}
    assert not store.defer("PS-1|50", later)  # no longer claimed


def test_the_firing_lock_is_exclusive_and_only_its_holder_unlocks_it(store):
    token = store.lock("PS-1|50", timedelta(seconds=30))
    assert token and store.lock("PS-1|50", timedelta(seconds=30)) is None
    store.unlock("PS-1|50", "someone-else")
    assert store.lock("PS-1|50", timedelta(seconds=30)) is None
    store.unlock("PS-1|50", token)
    assert store.lock("PS-1|50", timedelta(seconds=30))


def test_fired_marks_are_per_issue_cycle_and_threshold(store):
    assert store.mark_fired("PS-1", 1, "50") and not store.mark_fired("PS-1", 1, "50")
    assert store.fired_codes("PS-1", 1, ["50", "75"]) == {"50"}
    assert store.fired_codes("PS-1", 2, ["50"]) == set()
    assert store.fired_codes("PS-2", 1, ["50"]) == set()


def test_dispatch_takes_a_backlog_in_batches_oldest_first(store, redis_client):
    for n in range(1, 26):
        store.replace(f"PS-{n}", [], {"50": T0 - timedelta(seconds=n)})
    result = run_dispatch(store, T0, batch=10)
    assert result.queued == 25 and len(result.batches) == 3
    assert queued(redis_client)[:3] == ["PS-25|50", "PS-24|50", "PS-23|50"]


def test_two_dispatchers_at_once_never_queue_a_reminder_twice(redis_client, redis_url):
    import redis as redis_lib

    store = ReminderStore(redis_client)
    for n in range(3000):
        store.replace(f"PS-{n}", [], {"50": T0 - timedelta(seconds=n % 7)})
    results, errors = [], []
    start = threading.Barrier(4)

    def beat():
        try:
            own = ReminderStore(redis_lib.Redis.from_url(redis_url))
            own.redis.ping()
            start.wait(10)
            results.append(dispatch_due(own, lambda name: name.encode(), QUEUE, T0, LEASE, batch=50))
        except Exception as exc:  # noqa: BLE001 - any failure in a thread is reported below
            errors.append(exc)

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    names = queued(redis_client)
    assert len(names) == 3000 == len(set(names)) == sum(r.queued for r in results)
    assert all(r.queued < 3000 for r in results), "the dispatchers did not actually compete"
    assert redis_client.zcard(DUE) == 0 and redis_client.zcard(CLAIMED) == 3000
