"""Property fuzz of every door a body comes in by: POST /webhooks/jira (signed), POST /admin/explain
and `psw explain`. For any JSON text: a clear answer, never a 500, never a traceback."""
from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner
from hypothesis import given

from app import create_app
from app.signature import sign
from tests.conftest import SECRET
from tests.fuzz_strategies import FUZZ, raw_bodies
from tests.component.test_admin import AUTH, TOKEN
from worker.cli.explain import command as explain_command

NOW = "?now=2026-11-26T10:05:00Z"


@pytest.fixture
def admin_app(settings, config_file):
    app = create_app(replace(settings, admin_token=TOKEN, mapping_config=str(config_file)))
    app.testing = True  # an exception in a view propagates into the test instead of becoming a 500
    return app


def assert_clear_answer(resp):
    assert resp.status_code < 500, resp.data[:500]
    assert resp.is_json, resp.data[:500]
    assert b"Traceback" not in resp.data


@FUZZ
@given(raw=raw_bodies)
def test_the_webhook_answers_any_signed_json_clearly(admin_app, raw):
    body = raw.encode()
    resp = admin_app.test_client().post("/webhooks/jira", data=body,
                                        headers={"X-Hub-Signature": sign(SECRET, body)})
    assert_clear_answer(resp)
    assert resp.status_code in (200, 202, 400, 413, 422)  # 422: a body older than WEBHOOK_MAX_AGE_SECONDS


@FUZZ
@given(raw=raw_bodies)
def test_admin_explain_answers_any_json_clearly(admin_app, raw):
    resp = admin_app.test_client().post(f"/admin/explain{NOW}", data=raw.encode(), headers=AUTH,
                                        content_type="application/json")
    assert_clear_answer(resp)
    assert resp.status_code in (200, 400, 413, 422)


@FUZZ
@given(raw=raw_bodies)
def test_psw_explain_answers_any_json_clearly(tmp_path, raw):
    path = tmp_path / "body.json"
    path.write_text(raw, encoding="utf-8")
    result = CliRunner(env={"MAPPING_CONFIG": None}).invoke(explain_command, [str(path), "--now", NOW[5:]])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert result.output.startswith("Error: ")
