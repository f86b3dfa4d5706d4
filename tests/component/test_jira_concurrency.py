"""The adaptive limit on concurrent Jira calls per site (worker/jira/concurrency.py), shared by
every worker through Redis: gateways of two "workers" against one `responses` site."""
from __future__ import annotations

import time

import pytest
import redis
import responses
import time_machine

from tests.http.sites import CLOUD
from worker.embedded_redis import free_port
from worker.jira.concurrency import SiteConcurrency
from worker.jira.errors import JiraRetryLater
from worker.jira.gateway import JiraGateway
from worker.settings import JiraConcurrencySettings, Settings, SettingsError

ISSUE = f"{CLOUD.url}/rest/api/2/issue/PS-1"
START = "2026-12-04T10:00:00Z"
LIMITS = JiraConcurrencySettings(ceiling=8, floor=1, slot_wait=0.1)


def limit_of(client, settings=LIMITS) -> SiteConcurrency:
    return SiteConcurrency(client, CLOUD.url, settings, lease=CLOUD.timeout + 5)


@pytest.fixture
def workers(redis_client):
    """Two workers' gateways on one site, each with its own view of the shared limit."""
    return [JiraGateway(CLOUD, concurrency=limit_of(redis_client)) for _ in range(2)]


def ok(rsps, times=1):
    for _ in range(times):
        rsps.get(ISSUE, json={"key": "PS-1", "fields": {}})


def too_many(rsps, retry_after="5"):
    rsps.get(ISSUE, status=429, json={"errorMessages": ["Rate limit exceeded."]}, headers={"Retry-After": retry_after})


def test_a_429_halves_the_limit_and_holds_every_worker_until_retry_after(workers, redis_client):
    first, second = workers
    with responses.RequestsMock() as rsps, time_machine.travel(START, tick=False) as clock:
        too_many(rsps)
        with pytest.raises(JiraRetryLater) as seen:
            first.get_issue("PS-1")
        assert seen.value.retry_after == 5
        assert limit_of(redis_client).state()["limit"] == 4
        # The other worker does not send its call: Jira asked the site's callers to wait.
        with pytest.raises(JiraRetryLater, match="not sent") as held:
            second.get_issue("PS-1")
        assert 5 <= held.value.retry_after <= 6  # the pause, and up to a second to spread the returns
        assert len(rsps.calls) == 1 and second.calls == 0
        clock.shift(3)
        with pytest.raises(JiraRetryLater) as held:
            second.get_issue("PS-1")
        assert 2 <= held.value.retry_after <= 3
        clock.shift(2)
        ok(rsps)
        assert second.get_issue("PS-1")["key"] == "PS-1"
        assert len(rsps.calls) == 2


def test_successes_grow_the_limit_back_one_slot_per_limits_worth(workers, redis_client):
    first, _second = workers
    with responses.RequestsMock() as rsps, time_machine.travel(START, tick=False) as clock:
        too_many(rsps, retry_after="1")
        with pytest.raises(JiraRetryLater):
            first.get_issue("PS-1")
        clock.shift(1)
        ok(rsps, times=4)
        for _ in range(4):
            first.get_issue("PS-1")
        assert limit_of(redis_client).state()["limit"] == pytest.approx(5, abs=0.2)
        ok(rsps, times=200)
        for _ in range(200):
            first.get_issue("PS-1")
        assert limit_of(redis_client).state()["limit"] == 8  # never past JIRA_CONCURRENCY_MAX


def test_429s_of_one_overload_are_one_decrease_and_the_floor_holds(redis_client):
    limit = limit_of(redis_client)
    with time_machine.travel(START, tick=False) as clock:
        in_flight = [limit.acquire() for _ in range(6)]
        for token in in_flight:  # all answered 429 together
            limit.release(token, "throttled", retry_after=2)
        assert limit.state() == {"limit": 4, "in_flight": 0, "paused_until": pytest.approx(time.time() + 2),
                                 "throttled": 6}
        for _ in range(5):  # one overload after another
            clock.shift(3)
            limit.release(limit.acquire(), "throttled", retry_after=2)
        assert limit.state()["limit"] == 1


def test_a_call_waits_for_a_slot_then_its_task_comes_back_later(redis_client):
    one = JiraConcurrencySettings(ceiling=1, floor=1, slot_wait=0.1)
    gateway = JiraGateway(CLOUD, concurrency=limit_of(redis_client, one))
    with responses.RequestsMock() as rsps, time_machine.travel(START, tick=False) as clock:
        taken = limit_of(redis_client, one).acquire()  # another worker's call, under way
        with pytest.raises(JiraRetryLater, match="slots were taken") as held:
            gateway.get_issue("PS-1")
        assert 1 <= held.value.retry_after <= 3
        assert len(rsps.calls) == 0
        # A worker that died mid-call: its slot frees itself when the lease ends.
        clock.shift(CLOUD.timeout + 5.1)
        ok(rsps)
        assert gateway.get_issue("PS-1")["key"] == "PS-1"
        assert taken not in {m.decode() for m in redis_client.zrange("psw:jira:slots:acme.atlassian.net", 0, -1)}


def test_other_failures_leave_the_limit_alone(workers, redis_client):
    first, _second = workers
    with responses.RequestsMock() as rsps, time_machine.travel(START, tick=False):
        rsps.get(ISSUE, status=500, json={})
        with pytest.raises(Exception):
            first.get_issue("PS-1")
        assert limit_of(redis_client).state() == {"limit": 8, "in_flight": 0, "paused_until": 0, "throttled": 0}


def test_redis_gone_the_call_goes_out_without_a_slot():
    down = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2, retry=None)
    gateway = JiraGateway(CLOUD, concurrency=limit_of(down))
    with responses.RequestsMock() as rsps:
        ok(rsps)
        assert gateway.get_issue("PS-1")["key"] == "PS-1"


def test_settings_read_and_refused():
    env = {"REDIS_URL": "redis://127.0.0.1:1/0"}
    assert Settings.from_env(env).jira_concurrency == JiraConcurrencySettings()
    assert not Settings.from_env({**env, "JIRA_CONCURRENCY_MAX": "0"}).jira_concurrency.enabled
    chosen = Settings.from_env({**env, "JIRA_CONCURRENCY_MAX": "20", "JIRA_CONCURRENCY_MIN": "2",
                                "JIRA_SLOT_WAIT_SECONDS": "0.5"}).jira_concurrency
    assert (chosen.ceiling, chosen.floor, chosen.slot_wait) == (20, 2, 0.5)
    for bad, message in (({"JIRA_CONCURRENCY_MAX": "-1"}, "JIRA_CONCURRENCY_MAX"),
                         ({"JIRA_CONCURRENCY_MAX": "4", "JIRA_CONCURRENCY_MIN": "5"}, "JIRA_CONCURRENCY_MIN"),
                         ({"JIRA_CONCURRENCY_MIN": "0"}, "JIRA_CONCURRENCY_MIN"),
                         ({"JIRA_CONCURRENCY_MAX": "lots"}, "JIRA_CONCURRENCY_MAX")):
        with pytest.raises(SettingsError, match=message):
            Settings.from_env({**env, **bad})
