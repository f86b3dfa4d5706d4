"""Heartbeats from real processes: a worker and beat make `/readyz` ready; a SIGKILLed worker or
beat makes it fail, naming the check, within the configured limits."""
from __future__ import annotations

import os
import signal
import time

import pytest

from tests.conftest import SECRET
from tests.integration import processes

pytestmark = pytest.mark.integration

FAST = dict(HEARTBEAT_INTERVAL_SECONDS="1", READY_WORKER_MAX_AGE_SECONDS="3", READY_BEAT_MAX_AGE_SECONDS="3")


def wait_for(check, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


def test_readyz_follows_worker_and_beat_heartbeats(fresh, redis_url, tmp_path):
    from app import create_app
    from worker.settings import Settings

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "CELERY_"))}
    env.update(REDIS_URL=redis_url, WEBHOOK_SECRET=SECRET, PSW_VAR_DIR=str(tmp_path), **FAST)
    client = create_app(Settings.from_env(env)).test_client()

    def failing() -> set[str]:
        return {p["check"] for p in client.get("/readyz").get_json()["problems"]}

    worker = processes.worker(env, tmp_path)
    beat = processes.Service("beat", [str(processes.BIN / "celery"), "--app", "worker.celery_main", "beat",
                                      "--loglevel=INFO", f"--schedule={tmp_path / 'beat-schedule'}"],
                             env, tmp_path / "beat.log").start()
    try:
        assert wait_for(lambda: not failing(), 30), (failing(), beat.log()[-2000:])
        beat.kill(signal.SIGKILL)
        assert wait_for(lambda: failing() == {"beat"}, 10), failing()
        worker.kill(signal.SIGKILL)
        assert wait_for(lambda: failing() == {"beat", "worker"}, 10), failing()
    finally:
        beat.stop()
        worker.stop()
