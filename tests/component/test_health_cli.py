"""`psw health worker|worker-time`: each worker process is judged by its own heartbeat, as the
compose and Kubernetes probes run it."""
from __future__ import annotations

import socket

from click.testing import CliRunner

from worker import clock
from worker.cli import health
from worker.liveness import worker_beat


def test_the_time_lane_worker_is_judged_by_its_own_heartbeat(monkeypatch, redis_url, redis_client):
    monkeypatch.setenv("REDIS_URL", redis_url)
    host = socket.gethostname()
    worker_beat(redis_client, f"psw@{host}", clock.now().timestamp(), ttl=120)  # the triage lane's worker only
    assert CliRunner().invoke(health.command, ["worker"]).exit_code == 0
    missing = CliRunner().invoke(health.command, ["worker-time"])
    assert missing.exit_code == 1 and f"worker psw-time@{host}: no heartbeat" in missing.output
    worker_beat(redis_client, f"psw-time@{host}", clock.now().timestamp(), ttl=120)
    fine = CliRunner().invoke(health.command, ["worker-time"])
    assert fine.exit_code == 0 and f"worker psw-time@{host}: heartbeat" in fine.output
