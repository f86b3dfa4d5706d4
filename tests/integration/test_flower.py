"""`psw flower`: refuses to listen beyond loopback without credentials; asks for them when set."""
from __future__ import annotations

import os
import subprocess
import time

import pytest
import requests

from tests.integration import processes
from worker.embedded_redis import free_port

pytestmark = pytest.mark.integration


def psw_env(redis_url, tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "CELERY_", "FLOWER_"))}
    env.update(REDIS_URL=redis_url, PSW_VAR_DIR=str(tmp_path), **extra)
    return env


def test_flower_beyond_loopback_without_credentials_refuses_to_start(redis_url, tmp_path):
    result = subprocess.run([str(processes.BIN / "psw"), "flower"], capture_output=True, text=True, timeout=60,
                            env=psw_env(redis_url, tmp_path, FLOWER_ADDRESS="0.0.0.0"))
    assert result.returncode == 1
    assert "FLOWER_BASIC_AUTH" in result.stderr and "0.0.0.0" in result.stderr


def test_flower_with_credentials_answers_401_without_them(redis_url, tmp_path):
    port = free_port()
    env = psw_env(redis_url, tmp_path, FLOWER_PORT=str(port), FLOWER_BASIC_AUTH="ops:flower-test-password")
    flower = processes.Service("flower", [str(processes.BIN / "psw"), "flower"], env, tmp_path / "flower.log").start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                anonymous = requests.get(f"http://127.0.0.1:{port}/tasks", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and flower.process.poll() is None, flower.log()[-2000:]
                time.sleep(0.3)
        assert anonymous.status_code == 401
        authorised = requests.get(f"http://127.0.0.1:{port}/tasks", auth=("ops", "flower-test-password"), timeout=5)
        assert authorised.status_code == 200
        assert "flower-test-password" not in flower.log()
    finally:
        flower.stop()
