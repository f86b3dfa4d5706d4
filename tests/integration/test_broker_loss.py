"""Redis SIGKILLed under a real worker and started again on its AOF: the queue drains again.

The failure this guards against (issue 11): after `kill -9` of Redis and a restart a few seconds
later, kombu's restore of unacknowledged messages met a connection that was gone
(`AttributeError: 'NoneType' object has no attribute 'hostname'`) and the worker stopped
consuming for good while everything else looked healthy.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import redis

from tests.integration import processes
from worker.celery_app import make_celery
from worker.queues import QUEUE
from worker.embedded_redis import EmbeddedRedis
from worker.queueing import task_message
from worker.settings import Settings

pytestmark = pytest.mark.integration

CHANGE_TASK = "worker.reminders.tasks.request_changed"  # answers "expired" for an unknown delivery: no Jira


def push(client: redis.Redis, app, count: int, tag: str) -> None:
    for n in range(count):
        client.lpush(QUEUE, task_message(app, CHANGE_TASK, [f"{tag}-{n}"], QUEUE))


def drained(client: redis.Redis, timeout: float) -> float | None:
    """Seconds until the queue was empty, or None if it was not within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if client.llen(QUEUE) == 0:
                return time.monotonic() - started
        except redis.RedisError:
            pass
        time.sleep(0.2)
    return None


def procfile_worker(env, log_dir, supervised: bool = False):
    """The worker exactly as the Procfile starts it (through a shell, as honcho does), and, when
    `supervised`, inside the supervisor `psw run` puts around it."""
    command = (processes.ROOT / "Procfile").read_text().split("\nworker: ", 1)[1].split("\n", 1)[0]
    env = {**env, "PATH": f"{processes.BIN}{os.pathsep}{env.get('PATH', '')}", "WORKER_CONCURRENCY": "2"}
    argv = ["/bin/sh", "-c", f"exec {command}"]
    if supervised:
        argv = [sys.executable, "-m", "worker.supervise", "--name", "worker", "--", *argv]
    service = processes.Service("worker", argv, env, log_dir / "worker.log").start()
    service.wait_for_log("ready.", timeout=60)
    return service


@pytest.fixture
def own_redis(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.mark.timeout(420)
def test_worker_consumes_again_after_redis_is_killed_and_restarted(own_redis, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "CELERY_"))}
    env.update(REDIS_URL=own_redis.url, PSW_VAR_DIR=str(tmp_path), WEBHOOK_SECRET="x" * 32,
               HEARTBEAT_INTERVAL_SECONDS="1", WORKER_WATCHDOG_SECONDS="15")
    app = make_celery(Settings.from_env(env))
    client = redis.Redis.from_url(own_redis.url, socket_timeout=2, socket_connect_timeout=1)
    worker = procfile_worker(env, tmp_path, supervised=True)
    try:
        push(client, app, 5, "before")
        assert drained(client, 30) is not None, worker.log()[-3000:]
        healed = []
        for round_ in range(3):
            push(client, app, 1500, f"busy-{round_}")  # in flight when Redis dies: unacked messages
            time.sleep(0.5)
            os.kill(own_redis.process.pid, signal.SIGKILL)
            own_redis.process.wait(5)
            time.sleep(3)
            own_redis.start()
            push(client, app, 20, f"after-{round_}")
            took = drained(client, 60)
            assert took is not None, (
                f"round {round_}: {client.llen(QUEUE)} messages still queued 60 s after the restart\n"
                + worker.log()[-4000:])
            healed.append(took)
        print(f"queue drained again {[round(t, 1) for t in healed]} s after each restart; "
              f"{worker.log().count('exited with code')} supervised restart(s)")
    finally:
        worker.stop()
        client.close()


def test_worker_whose_broker_is_gone_for_good_exits_non_zero_within_seconds(own_redis, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "CELERY_"))}
    env.update(REDIS_URL=own_redis.url, PSW_VAR_DIR=str(tmp_path), HEARTBEAT_INTERVAL_SECONDS="1",
               WORKER_WATCHDOG_SECONDS="8")
    worker = procfile_worker(env, tmp_path)
    try:
        os.kill(own_redis.process.pid, signal.SIGKILL)
        own_redis.process.wait(5)
        started = time.monotonic()
        code = worker.process.wait(40)
        took = time.monotonic() - started
        assert code != 0, worker.log()[-3000:]
        assert took < 30, f"exited {code} only after {took:.0f} s"
    finally:
        worker.stop()


def test_a_supervised_worker_killed_outright_is_started_again_and_drains_the_queue(own_redis, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "CELERY_"))}
    env.update(REDIS_URL=own_redis.url, PSW_VAR_DIR=str(tmp_path))
    app = make_celery(Settings.from_env(env))
    client = redis.Redis.from_url(own_redis.url, socket_timeout=2)
    worker = procfile_worker(env, tmp_path, supervised=True)
    try:
        children = subprocess.run(["pgrep", "-P", str(worker.process.pid)], capture_output=True, text=True)
        celery_main = int(children.stdout.split()[0])
        os.kill(celery_main, signal.SIGKILL)
        push(client, app, 20, "after-kill")
        assert drained(client, 60) is not None, worker.log()[-3000:]
        assert "exited with code -9; restart 1" in worker.log()
        assert worker.process.poll() is None  # the supervisor itself goes on
        restarted = int(subprocess.run(["pgrep", "-P", str(worker.process.pid)], capture_output=True,
                                       text=True).stdout.split()[0])
        pool = subprocess.run(["pgrep", "-P", str(restarted)], capture_output=True, text=True).stdout.split()
        assert pool, "the restarted worker has pool processes"
    finally:
        worker.stop()
        client.close()
    for pid in [restarted, *map(int, pool)]:  # stopping the supervisor leaves no orphan behind
        assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()
