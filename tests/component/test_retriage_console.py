"""The console's Re-triage button through the Flask test client: the dry run first, then the
apply with the dry run's decision; sign-in and the CSRF token required; hostile input answered
with a message, never a 500."""
from __future__ import annotations

import pytest

from app import create_app
from tests.component.conftest import RENEWED, queued_tasks
from tests.component.test_console import csrf_of, sign_in
from worker.runtime import services
from worker.settings import Settings
from worker.tasks import triage_by_key

TOKEN = "console-admin-token-31f9b2"


@pytest.fixture
def web(setup):
    app = create_app(Settings.from_env({**setup.env, "WEBHOOK_SECRET": "w" * 32, "ADMIN_TOKEN": TOKEN}))
    app.testing = True
    return app.test_client()


@pytest.fixture
def triaged(setup):
    key = setup.request()
    triage_by_key.apply(args=[key, "reconcile"], throw=True)
    setup.set_globex(RENEWED)
    return key


def test_the_button_shows_the_dry_run_then_applies_it(web, triaged, redis_client):
    assert sign_in(web).status_code == 303
    page = web.get(f"/console/requests/{triaged}")
    assert page.status_code == 200 and 'id="retriage"' in page.get_data(as_text=True)
    dry = web.post(f"/console/requests/{triaged}/retriage", data={"step": "preview", "csrf_token": csrf_of(page)})
    text = dry.get_data(as_text=True)
    assert dry.status_code == 200 and "Dry run: nothing has been written or queued." in text
    assert "now entitled: L1 (was not entitled (MAINTENANCE_EXPIRED))" in text
    assert "Priority Support re-triage (asked by admin (token) via the console): now entitled: L1" in text
    assert queued_tasks(redis_client) == []
    decision = text.split('name="decision_id" value="')[1].split('"')[0]
    applied = web.post(f"/console/requests/{triaged}/retriage",
                       data={"step": "apply", "decision_id": decision, "csrf_token": csrf_of(dry)})
    assert applied.status_code == 200 and "Re-triage queued for the workers" in applied.get_data(as_text=True)
    assert [args for _, args in queued_tasks(redis_client)] == [[triaged, "retriage", False, "admin (token) via the console"]]
    asked = [e for e in services().audit.entries(triaged) if e["kind"] == "retriage"]
    assert [(e["outcome"], e["via"], e["requested_by"]) for e in asked] == [
        ("queued", "console", "admin (token) via the console"), ("dry_run", "console", "admin (token) via the console")]


def test_a_decision_that_changed_since_the_dry_run_is_shown_again_not_applied(web, triaged, redis_client):
    sign_in(web)
    page = web.get(f"/console/requests/{triaged}")
    resp = web.post(f"/console/requests/{triaged}/retriage",
                    data={"step": "apply", "decision_id": "0" * 16, "csrf_token": csrf_of(page)})
    assert resp.status_code == 200 and "The decision changed since the dry run" in resp.get_data(as_text=True)
    assert queued_tasks(redis_client) == []


def test_sign_in_and_the_csrf_token_are_required(web, triaged, redis_client):
    anonymous = web.post(f"/console/requests/{triaged}/retriage", data={"step": "preview"})
    assert anonymous.status_code == 400  # no token: refused before anything else
    sign_in(web)
    refused = web.post(f"/console/requests/{triaged}/retriage", data={"step": "preview"})
    assert refused.status_code == 400 and "security token was refused" in refused.get_data(as_text=True)
    web.post("/console/sign-out", data={"csrf_token": csrf_of(web.get(f"/console/requests/{triaged}"))})
    form = web.get("/console/sign-in")
    out = web.post(f"/console/requests/{triaged}/retriage", data={"step": "preview", "csrf_token": csrf_of(form)})
    assert out.status_code == 302 and out.headers["Location"].startswith("/console/sign-in")
    assert queued_tasks(redis_client) == []


@pytest.mark.parametrize("key, form, status, said", [
    ("PS-9999", {"step": "preview"}, 404, "PS-9999: Jira has no such issue"),
    ("ps-1", {"step": "preview"}, 400, "An issue key looks like PS-123"),
    ("PS-1", {"step": "<script>"}, 400, "step=preview"),
    ("PS-1", {}, 400, "step=preview"),
    ("PS-1", {"step": "apply"}, 400, "lacks the decision"),
    ("PS-1", {"step": "apply", "decision_id": "x" * 5000}, 400, "lacks the decision"),
    ("PS-1", {"step": ["preview", "apply"]}, 200, "Dry run"),
])
def test_hostile_input_gets_a_message_never_a_500(web, triaged, key, form, status, said):
    sign_in(web)
    token = csrf_of(web.get(f"/console/requests/{triaged}"))
    resp = web.post(f"/console/requests/{key}/retriage", data={**form, "csrf_token": token})
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert said in resp.get_data(as_text=True)
