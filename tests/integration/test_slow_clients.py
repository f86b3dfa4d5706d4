"""Slow clients cannot stop the intake: with 200 connections trickling their headers (a line
every 2 s) open against the served web process, a signed webhook still answers within 1 s."""
from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest
import requests

from app.signature import sign
from tests.conftest import SECRET
from tests.integration import processes
from worker.embedded_redis import free_port

pytestmark = pytest.mark.integration

SLOW = 200


class Tricklers:
    """`count` connections that send a request line and then one header line every `every` s."""

    def __init__(self, port: int, count: int, every: float = 2.0):
        self.port, self.count, self.every = port, count, every
        self.sockets: list[socket.socket] = []
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        for _ in range(self.count):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(b"POST /webhooks/jira HTTP/1.1\r\nHost: psw\r\n")
            self.sockets.append(s)
        self._thread.start()
        return self

    def _run(self):
        n = 0
        while not self._stop.wait(self.every):
            n += 1
            for s in self.sockets:
                try:
                    s.sendall(f"X-Slow-{n}: {n}\r\n".encode())
                except OSError:
                    self.closed_by_server += 1
                    self.sockets.remove(s)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        for s in self.sockets:
            s.close()


def post_webhook(port: int, n: int) -> tuple[int, float]:
    body = json.dumps({"webhookEvent": "jira:issue_created", "issue": {"key": f"PS-{n}", "fields": {}}}).encode()
    started = time.monotonic()
    answer = requests.post(f"http://127.0.0.1:{port}/webhooks/jira", data=body, timeout=10,
                           headers={"X-Hub-Signature": sign(SECRET, body), "Content-Type": "application/json",
                                    "X-Atlassian-Webhook-Identifier": f"slow-test-{n}"})
    return answer.status_code, time.monotonic() - started


def served_web(env, tmp_path, **extra):
    port = free_port()
    argv = [str(processes.BIN / "gunicorn"), "--config", "python:app.gunicorn_conf", "app:create_app()"]
    service = processes.Service("web", argv, {**env, "PORT": str(port), "WEB_CONCURRENCY": "2", **extra},
                                tmp_path / "web.log").start()
    deadline = time.monotonic() + 30
    while True:  # both web processes answer (gevent workers load the app after they listen)
        try:
            if all(requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok for _ in range(4)):
                return service, port
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or service.process.poll() is not None:
            raise RuntimeError(f"web not answering:\n{service.log()[-3000:]}")
        time.sleep(0.2)


@pytest.fixture
def web_env(fresh, redis_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "CELERY_"))}
    env.update(REDIS_URL=redis_url, WEBHOOK_SECRET=SECRET, PSW_VAR_DIR=str(tmp_path))
    return env


@pytest.mark.timeout(180)
def test_a_signed_webhook_answers_within_a_second_while_200_slow_clients_trickle(web_env, tmp_path):
    web, port = served_web(web_env, tmp_path)
    try:
        with Tricklers(port, SLOW):
            time.sleep(3)  # every slow connection has been accepted and is mid-headers
            timings = []
            for n in range(6):
                status, took = post_webhook(port, n)
                assert status == 202, (status, web.log()[-2000:])
                timings.append(took)
                time.sleep(2)
        print(f"webhook answers with {SLOW} slow clients open: {[round(t, 3) for t in timings]} s")
        assert max(timings) < 1.0, timings
    finally:
        web.stop()


def test_a_client_that_never_finishes_its_request_is_cut_off(web_env, tmp_path):
    web, port = served_web(web_env, tmp_path, WEB_CLIENT_TIMEOUT_SECONDS="3", WEB_CLIENT_IDLE_SECONDS="2")
    try:
        with Tricklers(port, 5, every=0.5) as slow:
            time.sleep(5)
            assert slow.closed_by_server == 5 or len(slow.sockets) == 0
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)
        idle.sendall(b"POST /webhooks/jira HTTP/1.1\r\n")
        started = time.monotonic()
        assert idle.recv(100) == b""  # closed by the server, no answer
        assert 1.5 < time.monotonic() - started < 5
        idle.close()
    finally:
        web.stop()
