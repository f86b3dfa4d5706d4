"""worker/logsafe.py: what is masked in a log record, wherever it sits."""
from __future__ import annotations

import logging

import pytest

from worker import logsafe
from worker.settings import RunSettings, SettingsError, log_secrets

SECRET = "s3cr3t-webhook-value-xyz"


@pytest.fixture
def redacting():
    logsafe.install([SECRET, "jira-api-token-123"])
    yield
    logsafe.install(log_secrets())  # as the process had it


def test_masks_secrets_token_values_url_passwords_and_authorization():
    redact = logsafe.Redactor([SECRET, "short"])
    assert redact(f"x {SECRET} y") == "x *** y"
    assert redact("GET /webhooks/jira?token=abc123&x=1 HTTP/1.1") == "GET /webhooks/jira?token=***&x=1 HTTP/1.1"
    assert redact("redis://:hunter2@redis:6379/0") == "redis://:***@redis:6379/0"
    assert redact("redis://user:pw@host/0") == "redis://user:***@host/0"
    assert redact("Authorization: Bearer abc.def") == "Authorization: Bearer ***"
    assert redact("'Authorization': 'Basic dXNlcjpwYXNz'") == "'Authorization': 'Basic ***'"
    assert redact("a short word stays") == "a short word stays"  # under MIN_SECRET_CHARS: not a secret
    assert redact("GET /x?access_token=abc") == "GET /x?access_token=***"
    url = "http://127.0.0.1:8081/rest/api/2/user/search?query=ops-admin@globex.example"
    assert redact(url) == url  # a port and an email are no password


def test_every_record_is_redacted_args_exceptions_and_all(redacting, caplog):
    log = logging.getLogger("gunicorn.error")
    with caplog.at_level(logging.INFO):
        log.warning("Invalid request from ip=%s: %s", "127.0.0.1", f"'GET /x?token={SECRET}'")
        log.info("access %(r)s", {"r": "GET /webhooks/jira?token=anything"})
        try:
            raise RuntimeError(f"failed with jira-api-token-123 at {SECRET}")
        except RuntimeError:
            logging.getLogger("celery.worker").exception("task failed")
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert SECRET not in text and "jira-api-token-123" not in text and "token=anything" not in text
    assert "token=***" in text and "RuntimeError: failed with *** at ***" in text


def test_log_secrets_are_the_secret_settings_and_what_is_named_like_them():
    env = {"WEBHOOK_SECRET": "w" * 20, "JIRA_API_TOKEN": "tok", "JIRA_PAT": "pat", "ADMIN_TOKEN": "adm",
           "PSW_CHAT_WEBHOOK_URL": "https://hooks.example/T/B/X", "FLOWER_BASIC_AUTH": "ops:pw1,dev:pw2",
           "REDIS_URL": "redis://:redispw@r:6379/0", "JIRA_URL": "https://site", "JIRA_EMAIL": "a@b"}
    assert sorted(log_secrets(env)) == sorted(["w" * 20, "tok", "pat", "adm", "https://hooks.example/T/B/X",
                                               "pw1", "pw2", "redispw"])


def test_run_settings_read_ports_and_refuse_non_ports():
    run = RunSettings.from_env({"PORT": "9000", "JIRA_SIM_PORT": "9081", "PSW_VAR_DIR": "/tmp/v"})
    assert (run.web_port, run.simulator_port, run.flower_port, run.embedded_redis_port) == (9000, 9081, 5555, 6390)
    assert str(run.var_dir) == "/tmp/v"
    with pytest.raises(SettingsError, match="EMBEDDED_REDIS_PORT"):
        RunSettings.from_env({"EMBEDDED_REDIS_PORT": "70000"})
    with pytest.raises(SettingsError, match="FLOWER_PORT"):
        RunSettings.from_env({"FLOWER_PORT": "x"})
