"""No secret in any log line of a served web process or a real worker (worker/logsafe.py).

gunicorn logs a malformed request line verbatim, and a Data Center webhook URL carries the
webhook secret as `?token=`; Celery logs the whole body of a message it cannot run."""
from __future__ import annotations

import socket
import time

import pytest

from tests.conftest import SECRET
from worker.celery_app import make_celery
from worker.queues import QUEUE
from worker.settings import Settings

pytestmark = pytest.mark.integration

JIRA_TOKEN = "integration-token"  # stack_env's JIRA_API_TOKEN


def send_raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        answer = b""
        try:
            while chunk := conn.recv(4096):
                answer += chunk
        except TimeoutError:
            pass
    return answer


def wait_for_count(service, text: str, count: int, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while (log := service.log()).count(text) < count:
        assert time.monotonic() < deadline, log[-3000:]
        time.sleep(0.1)
    return log


def test_a_malformed_request_line_with_the_token_is_logged_without_it(web, web_port):
    seen = web.log().count("Invalid request from")
    for line in (f"GET /webhooks/jira?token={SECRET}\x01 HTTP/1.1",  # invalid request line
                 f"GET /webhooks/jira?token={SECRET}",  # no HTTP version
                 f"GET /webhooks/jira?delivery=1&token={SECRET}&x=1 HTTP/1.1 junk",
                 f"GET /webhooks/jira?secret={SECRET}\x01 HTTP/1.1"):  # the secret itself, anywhere
        answer = send_raw(web_port, line.encode() + b"\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400"), answer
    log = wait_for_count(web, "Invalid request from", seen + 4)
    assert SECRET not in log
    assert "Invalid HTTP request line: 'GET /webhooks/jira?token=***" in log
    assert "?secret=***" in log


def test_a_worker_logs_an_unrunnable_message_without_the_secrets(worker, stack_env):
    app = make_celery(Settings.from_env(stack_env))
    app.send_task("psw.no_such_task", args=[f"https://jira.example/hook?token={SECRET}", JIRA_TOKEN],
                  queue=QUEUE)
    log = wait_for_count(worker, "Received unregistered task of type 'psw.no_such_task'", 1)
    deadline = time.monotonic() + 5
    while "The full contents of the message body was" not in log and time.monotonic() < deadline:
        time.sleep(0.1)
        log = worker.log()
    assert "The full contents of the message body was" in log, log[-3000:]
    assert SECRET not in log and JIRA_TOKEN not in log
    assert "token=***" in log
