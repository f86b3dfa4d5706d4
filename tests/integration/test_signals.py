"""SIGHUP as the README's Signals table says, for the processes not covered by test_psw_run.py:
gunicorn reloads (fresh workers, still answering, still masking secrets), the embedded Redis
ignores it."""
from __future__ import annotations

import os
import signal
import socket
import time

import pytest
import redis
import requests

from tests.conftest import SECRET
from tests.integration import processes
from tests.integration.test_psw_run import descendants
from worker.embedded_redis import EmbeddedRedis, free_port

pytestmark = pytest.mark.integration


def test_gunicorn_reloads_its_workers_on_sighup_and_goes_on_answering(stack_env, tmp_path):
    port = free_port()
    web = processes.web(stack_env, port, tmp_path)
    try:
        master = next(pid for pid in descendants(web.process.pid) | {web.process.pid}
                      if "gunicorn" in open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
                      and descendants(pid))
        before = descendants(master)
        os.kill(master, signal.SIGHUP)
        deadline = time.monotonic() + 30
        while True:
            now = descendants(master)
            if now and not now & before:
                break
            assert time.monotonic() < deadline, (before, now, web.log()[-2000:])
            time.sleep(0.2)
        web.wait_for_http(f"http://127.0.0.1:{port}/healthz")
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        assert web.process.poll() is None
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(f"GET /webhooks/jira?token={SECRET}\x01 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert conn.recv(100).startswith(b"HTTP/1.1 400")
        deadline = time.monotonic() + 10
        while "Invalid request from" not in web.log():
            assert time.monotonic() < deadline, web.log()[-2000:]
            time.sleep(0.1)
        assert "handling signal: hup" in web.log().lower()
        assert SECRET not in web.log()  # the reloaded workers mask as the first ones did
    finally:
        web.stop()


def test_the_embedded_redis_ignores_sighup(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis", own_session=True).start()
    try:
        assert os.getsid(server.process.pid) == server.process.pid  # out of the terminal's session
        os.kill(server.process.pid, signal.SIGHUP)
        time.sleep(0.5)
        assert server.process.poll() is None
        assert redis.Redis.from_url(server.url).ping()
    finally:
        server.stop()
