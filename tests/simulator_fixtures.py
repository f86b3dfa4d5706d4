"""A started simulator per test, and a tiny webhook receiver that records what arrives (a plugin
of tests/conftest.py: the http and component tests use them)."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from jirasim import JiraSimulator

CLOUD_AUTH = ("agent@example.com", "any-token")
SECRET = "sim-test-secret"


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """Answers each webhook with the next scripted status (then 200), optionally late."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[int] = []
        self.delays: list[float] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.received.append(Received(dict(self.headers.items()), body))
                    status = receiver.script.pop(0) if receiver.script else 200
                    delay = receiver.delays.pop(0) if receiver.delays else 0.0
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/jira"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def events(self) -> list[str]:
        return [r.json()["webhookEvent"] for r in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    hook = Receiver()
    yield hook
    hook.close()


@pytest.fixture
def sim(receiver):
    with JiraSimulator(webhook_url=receiver.url, secret=SECRET, webhook_backoff=0.01,
                       webhook_timeout=2.0) as simulator:
        yield simulator


@pytest.fixture
def dc_sim(receiver):
    with JiraSimulator(webhook_url=receiver.url, flavor="datacenter", webhook_backoff=0.01) as simulator:
        yield simulator


@pytest.fixture
def http(sim):
    """A requests session authenticated for the Cloud simulator, with the base URL folded in."""
    return Client(sim.url, auth=CLOUD_AUTH)


@pytest.fixture
def dc_http(dc_sim):
    return Client(dc_sim.url, headers={"Authorization": "Bearer any-pat"})


class Client:
    def __init__(self, base: str, auth=None, headers=None):
        self.base = base
        self.session = requests.Session()
        self.session.auth = auth
        self.session.headers.update(headers or {})

    def __getattr__(self, method: str):
        def send(path: str, **kwargs) -> requests.Response:
            return self.session.request(method.upper(), self.base + path, timeout=10, **kwargs)
        return send
