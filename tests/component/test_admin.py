"""The admin API: config, explain and audit, behind a bearer token."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app import create_app
from worker.audit import AuditTrail

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
TOKEN = "admin-token-5d1c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def admin(settings, config_file):
    app = create_app(replace(settings, admin_token=TOKEN, mapping_config=str(config_file)))
    return app.test_client()


def test_the_admin_api_is_off_without_a_token(client):
    resp = client.get("/admin/config")
    assert resp.status_code == 404
    assert "ADMIN_TOKEN" in resp.get_json()["message"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}"])
def test_a_missing_or_wrong_token_is_401(admin, header):
    resp = admin.get("/admin/config", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401


def test_config_shows_the_effective_config_and_its_version(admin, config_file):
    data = admin.get("/admin/config", headers=AUTH).get_json()
    assert len(data["version"]) == 12
    assert data["path"] == str(config_file)
    assert data["problems"] == []
    assert data["config"]["levels"]["L1"]["jira_priority"] == "Highest"
    assert TOKEN not in json.dumps(data)


def test_an_invalid_edit_is_reported_while_the_last_good_config_runs(admin, config_file):
    before = admin.get("/admin/config", headers=AUTH).get_json()["version"]
    config_file.write_text(config_file.read_text().replace("\nlevels:", "\nlevles:", 1))
    services = admin.application.extensions["psw"]
    services.live_config.reload()
    data = admin.get("/admin/config", headers=AUTH).get_json()
    assert data["version"] == before
    assert any("levles" in p for p in data["problems"])


@pytest.mark.parametrize("payload, entitled, level", [
    ("cloud-entitled-l1.json", True, "L1"),
    ("dc-maintenance-expired.json", False, None),
    ("cloud-out-of-scope.json", False, None),
    ("dc-non-production-capped.json", True, "L3"),
])
def test_explain_gives_the_decision_for_a_webhook_body(admin, payload, entitled, level):
    body = (PAYLOADS / payload).read_bytes()
    resp = admin.post("/admin/explain?now=2026-11-26T10:05:00Z", data=body, headers=AUTH,
                      content_type="application/json")
    assert resp.status_code == 200, resp.get_json()
    data = resp.get_json()
    assert (data["entitled"], data["level"]) == (entitled, level)


def test_explain_names_what_is_wrong_with_the_body(admin):
    resp = admin.post("/admin/explain", data=b"[]", headers=AUTH, content_type="application/json")
    assert resp.status_code == 422
    assert "no issue with fields" in resp.get_json()["message"]
    resp = admin.post("/admin/explain", data=b"nope", headers=AUTH, content_type="application/json")
    assert resp.status_code == 400
    resp = admin.post("/admin/explain?now=yesterday", data=b"{}", headers=AUTH, content_type="application/json")
    assert resp.status_code == 400


def test_issue_audit_lists_entries_newest_first(admin, redis_client):
    trail = AuditTrail(redis_client)
    trail.record("PS-7", "triage", outcome="written", delivery="d-1")
    trail.record("PS-7", "reminder", outcome="fired", threshold=0.5)
    data = admin.get("/admin/issues/PS-7", headers=AUTH).get_json()
    assert [e["kind"] for e in data["entries"]] == ["reminder", "triage"]
    assert admin.get("/admin/issues/not-a-key", headers=AUTH).status_code == 400
