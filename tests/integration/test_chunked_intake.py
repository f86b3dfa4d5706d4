"""Chunked webhook bodies against gunicorn itself: over WEBHOOK_MAX_BYTES is 413, not a cut body's 401."""
from __future__ import annotations

import http.client
import json

import pytest

from app.signature import sign
from tests.conftest import SECRET

pytestmark = pytest.mark.integration
LIMIT = 1024 * 1024  # the default WEBHOOK_MAX_BYTES


def post_chunked(port: int, body: bytes) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        chunks = (body[i:i + 8192] for i in range(0, len(body), 8192))
        connection.request("POST", "/webhooks/jira", body=chunks, encode_chunked=True,
                           headers={"Content-Type": "application/json", "X-Hub-Signature": sign(SECRET, body),
                                    "X-Atlassian-Webhook-Identifier": f"chunked-{len(body)}"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def body_of(size: int) -> bytes:
    body = json.dumps({"webhookEvent": "jira:issue_created",
                       "issue": {"id": "1", "key": "PS-1", "fields": {}}}).encode()
    return body + b" " * (size - len(body))  # trailing whitespace keeps it JSON


def test_gunicorn_answers_a_chunked_body_over_the_limit_413(fresh, web, web_port):
    status, answer = post_chunked(web_port, body_of(LIMIT + 100_000))
    assert status == 413, answer
    assert "limit" in answer["message"]


def test_gunicorn_reads_a_chunked_body_at_the_limit_whole(fresh, web, web_port):
    status, answer = post_chunked(web_port, body_of(LIMIT))
    assert (status, answer["status"]) == (202, "queued")
