"""Hostile or odd bodies at the web process: each gets a clear 4xx naming the problem, never a 500."""
from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, generate_latest

from app import create_app
from app.signature import sign
from tests.conftest import SECRET
from tests.component.test_admin import AUTH, TOKEN
from tests.component.test_intake import created, post, queued_tasks

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
DEEP_ARRAY = ("[" * 1000 + "]" * 1000).encode()
DEEP_ISSUE = b'{"webhookEvent":"jira:issue_created","issue":' + b'{"a":' * 1000 + b"1" + b"}" * 1001


@pytest.fixture
def admin(settings, config_file):
    return create_app(replace(settings, admin_token=TOKEN, mapping_config=str(config_file),
                              webhook_max_bytes=2 * 1024 * 1024)).test_client()


@pytest.mark.parametrize("raw", [DEEP_ARRAY, DEEP_ISSUE], ids=["array", "inside the issue"])
def test_json_nested_a_thousand_deep_is_400_at_the_webhook(client, redis_client, raw):
    resp = post(client, None, raw=raw)
    assert resp.status_code == 400
    assert "nests deeper than 64 levels" in resp.get_json()["message"]
    assert queued_tasks(redis_client) == []


def test_json_nested_a_thousand_deep_is_400_at_explain(admin):
    resp = admin.post("/admin/explain", data=DEEP_ARRAY, headers=AUTH, content_type="application/json")
    assert resp.status_code == 400
    assert "nests deeper than 64 levels" in resp.get_json()["message"]


def test_nan_and_infinity_are_not_json(client):
    resp = post(client, None, raw=b'{"webhookEvent": "jira:issue_created", "timestamp": NaN}')
    assert resp.status_code == 400
    assert "NaN is not a JSON value" in resp.get_json()["message"]


@pytest.mark.parametrize("payload", [
    {"webhookEvent": "jira:issue_created"},
    {"webhookEvent": "jira:issue_created", "issue": {"id": "10001", "fields": {}}},
    {"webhookEvent": "jira:issue_created", "issue": {"key": 101}},
    {"webhookEvent": "jira:issue_updated", "issue": ["PS-1"]},
], ids=["no issue", "no key", "a number for a key", "a list for the issue"])
def test_an_issue_event_without_an_issue_key_is_400(client, redis_client, payload):
    resp = post(client, payload)
    assert resp.status_code == 400
    assert "needs issue.key" in resp.get_json()["message"]
    assert queued_tasks(redis_client) == []


def test_a_comment_without_an_issue_still_goes_to_the_worker(client, redis_client):
    # Data Center comment bodies name their issue only in comment.self.
    dc_comment = {"webhookEvent": "comment_created",
                  "comment": {"id": "1", "body": "hi", "self": "http://dc/rest/api/2/issue/10/comment/1"}}
    assert post(client, dc_comment).status_code == 202


def _chunked(client, body: bytes):
    # No Content-Length, and a server that ends the stream where the chunks end (as gunicorn
    # and werkzeug's server say with wsgi.input_terminated).
    return client.post("/webhooks/jira", input_stream=io.BytesIO(body),
                       headers={"Transfer-Encoding": "chunked", "X-Hub-Signature": sign(SECRET, body)},
                       environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_body_over_the_limit_is_413_not_a_cut_body(client, redis_client):
    big = json.dumps(created(padding="x" * (70 * 1024))).encode()  # the limit is 64 KiB here
    resp = _chunked(client, big)
    assert resp.status_code == 413
    assert "limit" in resp.get_json()["message"]
    assert queued_tasks(redis_client) == []


@pytest.mark.parametrize("extra", [0, 1])
def test_a_chunked_body_at_or_just_over_the_limit(client, redis_client, extra):
    body = json.dumps(created()).encode()
    body += b" " * (64 * 1024 - len(body) + extra)  # whitespace after the JSON keeps it valid
    assert _chunked(client, body).status_code == (202 if extra == 0 else 413)


def test_a_chunked_body_under_the_limit_is_read_whole(client, redis_client):
    assert _chunked(client, json.dumps(created()).encode()).status_code == 202
    assert len(queued_tasks(redis_client)) == 1


def _webhook_series() -> set[str]:
    lines = generate_latest(REGISTRY).decode().splitlines()
    return {line.rsplit(" ", 1)[0] for line in lines if line.startswith("psw_webhooks_total")}


def test_invented_event_names_share_one_metric_label(client):
    post(client, {"webhookEvent": "made_up_0"})
    before = _webhook_series()
    for n in range(1, 200):
        assert post(client, {"webhookEvent": f"made_up_{n}"}).status_code == 200
    assert _webhook_series() == before  # the same series, only its count grew
    text = generate_latest(REGISTRY).decode()
    assert 'event="other",outcome="ignored_unknown"' in text
    assert "made_up_" not in text


def test_a_huge_event_name_is_not_echoed_whole(client):
    resp = post(client, {"webhookEvent": "x" * 50_000})
    assert resp.status_code == 200
    assert len(resp.get_json()["event"]) == 200


def _explain(admin, mutate, query="?now=2026-11-26T10:05:00Z"):
    body = json.loads((PAYLOADS / "cloud-entitled-l1.json").read_text())
    mutate(body["issue"]["fields"])
    return admin.post(f"/admin/explain{query}", data=json.dumps(body), headers=AUTH,
                      content_type="application/json")


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00.000+0100", "9999-12-31T23:00:00.000-0100"])
def test_created_in_year_1_or_9999_is_a_clear_4xx_at_explain(admin, created_at):
    resp = _explain(admin, lambda fields: fields.update(created=created_at))
    assert resp.status_code == 422
    assert "outside the years 1970-2999" in resp.get_json()["message"]


@pytest.mark.parametrize("now", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00"])
def test_now_in_year_1_or_9999_is_400(admin, now):
    resp = _explain(admin, lambda fields: None, query=f"?now={now}")
    assert resp.status_code == 400
    assert "outside the years 1970-2999" in resp.get_json()["message"]


def test_a_megabyte_sen_is_not_echoed_whole(admin):
    resp = _explain(admin, lambda fields: fields.update(customfield_10100="SEN-" + "9" * 1_000_000))
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["entitled"] is False
    assert len(data["comment"]) < 2_000
    assert "…" in data["comment"]


@pytest.mark.parametrize("secret", [" ", "short-secret", "   fifteen-chars  "])
def test_a_guessable_webhook_secret_stops_the_start(settings, secret):
    from app import StartupError

    with pytest.raises(StartupError, match=r"WEBHOOK_SECRET is too short .* at least 16") as raised:
        create_app(replace(settings, webhook_secret=secret))
    if secret.strip():
        assert secret.strip() not in str(raised.value)


def test_a_sixteen_character_secret_is_enough(settings):
    assert create_app(replace(settings, webhook_secret="x" * 16)) is not None
