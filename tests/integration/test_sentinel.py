"""Redis Sentinel: the service's own keys (redis-py's Sentinel) and the Celery broker (kombu's
sentinel transport) follow the primary when it dies and a replica takes over. Real redis-servers
on free ports: a primary, a replica, one Sentinel."""
from __future__ import annotations

import time

import pytest
import redis

from tests.sentinel_cluster import SentinelCluster
from worker import redis_connect
from worker.celery_app import make_celery
from worker.deliveries import DeliveryStore
from worker.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster(tmp_path):
    running = SentinelCluster(tmp_path).start()
    yield running
    running.stop()


def until(action, timeout: float = 40.0):
    """`action()`'s answer once it stops failing on the way to the new primary; and the seconds it took."""
    started = time.monotonic()
    while True:
        try:
            return action(), time.monotonic() - started
        except (redis.RedisError, OSError):
            if time.monotonic() - started > timeout:
                raise
            time.sleep(0.2)


def test_the_services_keys_and_intake_follow_the_primary_through_a_failover(cluster):
    settings = Settings.from_env(cluster.env)
    client = redis_connect.client(settings, connect_timeout=0.5, timeout=1)
    store = DeliveryStore(client, dedupe_ttl=86400, body_ttl=86400)
    assert store.claim_and_queue("before", b'{"issue": {"key": "PS-1"}}', "psw", b"message-1")
    assert client.wait(1, 2000) == 1  # on the replica too, before the primary dies
    old = cluster.kill_primary()
    queued, seconds = until(lambda: store.claim_and_queue("after", b'{"issue": {"key": "PS-2"}}', "psw", b"message-2"))
    assert queued and cluster.primary_port() != old
    assert seconds < 30
    # What was accepted before the failover is still there, and a replay is still a duplicate.
    assert client.lrange("psw", 0, -1) == [b"message-2", b"message-1"]
    assert not store.claim_and_queue("before", b'{"issue": {"key": "PS-1"}}', "psw", b"message-1 again")


def test_the_broker_follows_the_primary_through_a_failover(cluster):
    app = make_celery(Settings.from_env(cluster.env))
    assert app.conf.broker_url.startswith("sentinel://127.0.0.1:")
    assert app.conf.broker_transport_options["master_name"] == "psw"
    with app.connection_for_write() as connection:
        connection.SimpleQueue("psw-sentinel-test").put({"n": 1})
    redis_connect.client(Settings.from_env(cluster.env), connect_timeout=0.5, timeout=1).wait(1, 2000)
    cluster.kill_primary()

    def put_and_get():
        with app.connection_for_write() as connection:
            queue = connection.SimpleQueue("psw-sentinel-test")
            queue.put({"n": 2})
            got = [queue.get(timeout=2).payload, queue.get(timeout=2).payload]
            queue.close()
            return got

    got, _seconds = until(put_and_get)
    assert got == [{"n": 1}, {"n": 2}]


def test_settings_name_the_problem():
    from worker.settings import SettingsError

    with pytest.raises(SettingsError, match="REDIS_SENTINEL_MASTER"):
        Settings.from_env({"REDIS_SENTINELS": "127.0.0.1:26379"})
    with pytest.raises(SettingsError, match="REDIS_SENTINELS"):
        Settings.from_env({"REDIS_SENTINEL_MASTER": "psw"})
    with pytest.raises(SettingsError, match="not host:port"):
        Settings.from_env({"REDIS_SENTINELS": "127.0.0.1", "REDIS_SENTINEL_MASTER": "psw"})
    with pytest.raises(SettingsError, match="ssl_cert_reqs"):
        Settings.from_env({"REDIS_URL": "rediss://h:6380/0?ssl_cert_reqs=maybe"})
    with pytest.raises(SettingsError, match="REDIS_URL must start"):
        Settings.from_env({"REDIS_URL": "http://h:6379/0"})
