"""Re-triage on the whole stack (issue 13 point 4): a request marked not entitled stays so after
its customer's record is fixed, and its webhook sent again is a duplicate; the admin API's
re-triage, run by a real worker, makes it entitled with reminders and one comment saying what
changed, even when asked for twice at once."""
from __future__ import annotations

import hashlib
import hmac
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import SECRET, editable_config_copy
from tests.integration.conftest import ADMIN_TOKEN
from tests.integration.test_triage_flow import create_and_wait
from worker.config.loader import default_config_path
from worker.reminders.store import DUE

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EXPIRED, RENEWED = "maintenance_end: 2026-01-31", "maintenance_end: 2027-06-30"


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    """The stack's config, reading an entitlement file of its own in which Globex has expired."""
    folder = tmp_path_factory.mktemp("config")
    entitlements = folder / "entitlements.yaml"
    shutil.copy(default_config_path().parent / "entitlements.yaml", entitlements)
    globex = entitlements.read_text().split("  - sen: SEN-10000002")[0]
    entitlements.write_text(entitlements.read_text().replace(globex, globex.replace("maintenance_end: 2027-06-30", EXPIRED)))
    path = editable_config_copy(folder)
    path.write_text(path.read_text().replace(f"path: {default_config_path().parent / 'entitlements.yaml'}",
                                             f"path: {entitlements}"))
    return path


def resend_same_delivery(web_port, delivery) -> requests.Response:
    signature = hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    return requests.post(f"http://127.0.0.1:{web_port}/webhooks/jira", data=delivery.body, timeout=5,
                         headers={"X-Hub-Signature": f"sha256={signature}", "Content-Type": "application/json",
                                  "X-Atlassian-Webhook-Identifier": delivery.id})


def test_an_entitlement_fix_then_a_re_triage_asked_twice_at_once(sim, worker, web_port, config_file, fresh):
    key = create_and_wait(sim, severity="L1", summary="Re-triage: production down", sen="SEN-10000001",
                          product="Jira Software", version="10.3.4", environment="Production",
                          reporter="ops-admin@globex.example")
    assert "ps-reason-maintenance_expired" in sim.issue(key)["fields"]["labels"]
    entitlements = config_file.parent / "entitlements.yaml"
    entitlements.write_text(entitlements.read_text().replace(EXPIRED, RENEWED, 1))  # the admin's fix

    [created] = [d for d in sim.deliveries if d.issue_key == key and d.event == "jira:issue_created"]
    again = resend_same_delivery(web_port, created)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")

    url = f"http://127.0.0.1:{web_port}/admin/issues/{key}/retriage"
    dry = requests.post(url, params={"dry_run": "1"}, headers=AUTH, timeout=10).json()
    assert dry["changes"] == ["now entitled: L1 (was not entitled (MAINTENANCE_EXPIRED))"]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda who: requests.post(url, json={"requested_by": who}, headers=AUTH, timeout=10),
                                ["ivy", "jon"]))
    assert [a.status_code for a in answers] == [202, 202]
    assert sim.wait_for(lambda: "priority-support" in sim.issue(key)["fields"]["labels"], timeout=20)
    assert sim.wait_for(lambda: sum(e["kind"] == "triage" and e.get("requested_by") is not None
                                    for e in requests.get(f"http://127.0.0.1:{web_port}/admin/issues/{key}",
                                                          headers=AUTH, timeout=5).json()["entries"]) == 2, timeout=20)
    retriage_comments = [c["body"] for c in sim.comments(key) if c["body"].startswith("Priority Support re-triage")]
    assert len(retriage_comments) == 1  # two asked, one real change: one comment
    assert "now entitled: L1 (was not entitled (MAINTENANCE_EXPIRED))" in retriage_comments[0]
    assert [m for m in fresh.zrange(DUE, 0, -1) if m.decode().startswith(f"{key}|")]  # its reminders
