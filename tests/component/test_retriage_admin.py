"""`POST /admin/issues/<KEY>/retriage`: the dry run (`?dry_run=1` or a JSON body) answers the
before and after and writes nothing; applying queues the re-triage; bad input is a 4xx with a
message, never a 500."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import create_app
from tests.fuzz_strategies import FUZZ, raw_bodies
from tests.component.conftest import RENEWED, queued_tasks
from worker.settings import Settings
from worker.tasks import triage_by_key

TOKEN = "admin-token-retriage-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def admin(setup):
    app = create_app(Settings.from_env({**setup.env, "WEBHOOK_SECRET": "w" * 32, "ADMIN_TOKEN": TOKEN}))
    return app.test_client()


def test_dry_run_then_apply(setup, admin, redis_client):
    key = setup.request()
    triage_by_key.apply(args=[key, "reconcile"], throw=True)
    setup.set_globex(RENEWED)
    dry = admin.post(f"/admin/issues/{key}/retriage?dry_run=1", headers=AUTH)
    assert dry.status_code == 200, dry.get_json()
    body = dry.get_json()
    assert body["status"] == "dry_run" and body["before"]["outcome"] == "not_entitled"
    assert body["after"]["level"] == "L1" and body["changes"][0].startswith("now entitled: L1")
    assert body["comment"].startswith("Priority Support re-triage (asked by the admin API): now entitled")
    assert queued_tasks(redis_client) == []
    same = admin.post(f"/admin/issues/{key}/retriage", headers=AUTH, json={"dry_run": True, "requested_by": "frank"})
    assert same.status_code == 200 and same.get_json()["comment"].startswith(
        "Priority Support re-triage (asked by frank via the admin API)")
    applied = admin.post(f"/admin/issues/{key}/retriage", headers=AUTH, json={"requested_by": "frank"})
    assert applied.status_code == 202 and applied.get_json()["queued"] is True
    assert [args for _, args in queued_tasks(redis_client)] == [[key, "retriage", False, "frank via the admin API"]]
    audit = admin.get(f"/admin/issues/{key}", headers=AUTH).get_json()["entries"]
    assert [(e["outcome"], e["via"]) for e in audit if e["kind"] == "retriage"] == [
        ("queued", "admin-api"), ("dry_run", "admin-api"), ("dry_run", "admin-api")]


@pytest.mark.parametrize("path, kwargs, status, said", [
    ("/admin/issues/PS-9999/retriage", {}, 404, "PS-9999: Jira has no such issue"),
    ("/admin/issues/ps-1/retriage", {}, 400, "is not an issue key"),
    ("/admin/issues/PS-1/retriage?dry_run=maybe", {}, 400, "dry_run must be true or false"),
    ("/admin/issues/PS-1/retriage", {"data": b"{nope"}, 400, "the body must be a JSON object"),
    ("/admin/issues/PS-1/retriage", {"json": [1, 2]}, 400, "the body must be a JSON object"),
    ("/admin/issues/PS-1/retriage", {"json": {"dry_run": "x" * 10_000}}, 400, "dry_run must be true or false"),
    ("/admin/issues/PS-1/retriage", {"json": {"requested_by": "a\nb"}}, 400, "requested_by must be a name"),
    ("/admin/issues/PS-1/retriage", {"json": {"requested_by": 7}}, 400, "requested_by must be a name"),
])
def test_bad_input_is_a_clear_4xx(setup, admin, path, kwargs, status, said):
    resp = admin.post(path, headers=AUTH, **kwargs)
    assert resp.status_code == status, resp.get_json()
    assert said in resp.get_json()["message"]


def test_the_token_is_required(setup, admin):
    assert admin.post("/admin/issues/PS-1/retriage").status_code == 401


def test_without_a_jira_site_it_says_so(client, settings):
    app = create_app(Settings.from_env({"REDIS_URL": settings.redis_url, "WEBHOOK_SECRET": "w" * 32,
                                        "ADMIN_TOKEN": TOKEN}))
    resp = app.test_client().post("/admin/issues/PS-1/retriage?dry_run=1", headers=AUTH)
    assert resp.status_code == 503 and "no Jira site is configured" in resp.get_json()["message"]


@pytest.fixture
def no_jira_admin(settings):
    from dataclasses import replace

    app = create_app(replace(settings, admin_token=TOKEN))
    app.testing = True  # an exception in a view propagates into the test instead of becoming a 500
    return app


@FUZZ
@given(raw=raw_bodies, key=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/.\\"), max_size=40))  # routing aside
def test_any_body_and_key_get_a_clear_answer(no_jira_admin, raw, key):
    from urllib.parse import quote

    resp = no_jira_admin.test_client().post(f"/admin/issues/{quote(key, safe='') or 'x'}/retriage", data=raw.encode(),
                                            headers=AUTH, content_type="application/json")
    assert resp.status_code in (400, 404, 413, 503), resp.data[:300]  # 503: this app has no Jira site
    assert resp.is_json and resp.get_json()["message"]
