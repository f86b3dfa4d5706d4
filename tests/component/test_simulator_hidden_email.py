"""The simulator's accounts whose profile hides their email (issue 12), and the triage's lookup of
it through the gateway: Cloud leaves `emailAddress` out of issues and webhooks, and shows it on
GET /rest/api/3/user only where the profile allows."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from worker.config.loader import default_config_path, load_config
from worker.entitlement.sources import FileSource
from worker.jira.gateway import JiraGateway
from worker.settings import JiraSite
from worker.triage import triage

ADMIN = "ops-admin@globex.example"  # an admin contact of SEN-10000001, listed by email only


def _request(sim, reporter: str) -> str:
    return sim.create_request(sen="SEN-10000001", severity="L2", product="Jira Software", version="10.3.4",
                              environment="Production", summary="Search is slow", reporter=reporter)["issueKey"]


def test_a_hidden_email_is_left_out_of_issues_and_webhooks_and_shown_on_lookup(sim, http, receiver):
    user = sim.add_user(ADMIN, email_visibility="admins")
    key = _request(sim, ADMIN)
    reporter = sim.issue(key)["fields"]["reporter"]
    assert reporter["accountId"] == user.account_id and "emailAddress" not in reporter
    sim.wait_for_webhooks()
    [created] = [r.json() for r in receiver.received if r.json()["webhookEvent"] == "jira:issue_created"]
    assert "emailAddress" not in created["issue"]["fields"]["reporter"]
    shown = http.get("/rest/api/3/user", params={"accountId": user.account_id}).json()
    assert shown["emailAddress"] == ADMIN


def test_an_email_no_one_may_see_stays_hidden_and_an_unknown_account_is_404(sim, http):
    user = sim.add_user("private@globex.example", email_visibility="nobody")
    assert "emailAddress" not in http.get("/rest/api/3/user", params={"accountId": user.account_id}).json()
    assert http.get("/rest/api/3/user", params={"accountId": "712020:nobody"}).status_code == 404
    assert http.get("/rest/api/3/user").status_code == 400


def test_users_are_added_over_the_control_api(sim):
    answer = requests.post(f"{sim.url}/_sim/users", json={"email": "x@globex.example", "email_visibility": "admins"},
                           timeout=5)
    assert answer.status_code == 201 and answer.json()["emailAddress"] == "x@globex.example"
    bad = requests.post(f"{sim.url}/_sim/users", json={"email": "y@globex.example", "email_visibility": "some"},
                        timeout=5)
    assert bad.status_code == 400 and "email_visibility must be one of" in bad.json()["error"]


@pytest.mark.parametrize("visibility, outcome, status", [
    ("admins", "entitled", "written"),  # the lookup shows the admin's address
    ("nobody", "undecided", "deferred"),  # it cannot: retried, never REPORTER_NOT_ADMIN
])
def test_the_triage_looks_the_hidden_email_up(sim, redis_client, visibility, outcome, status):
    sim.add_user(ADMIN, email_visibility=visibility)
    key = _request(sim, ADMIN)
    config = load_config(default_config_path())
    source = FileSource(config.resolve(config.entitlement.path), frozenset(config.regions))
    gateway = JiraGateway(JiraSite(url=sim.url, deployment="cloud", email="bot@example.com", api_token="t"))
    result = triage(issue=sim.issue(key), delivery_id="d-1", config=config, source=source, gateway=gateway,
                    redis_client=redis_client, now=datetime.now(timezone.utc), undecided_retries=2)
    assert (result.decision.outcome, result.status) == (outcome, status)
    assert ("get_user", "ok") in gateway.call_log
    assert "REPORTER_NOT_ADMIN" not in [r.code.value for r in result.decision.reasons]
