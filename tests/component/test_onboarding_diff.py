"""On-boarding (issue 13 point 5): a SEN added to or changed in the entitlement file has its open
requests re-triaged, and no other request; the first listing is only recorded."""
from __future__ import annotations

from tests.component.conftest import RENEWED, queued_tasks
from tests.component.test_retriage import run_queued, scheduled
from worker import onboarding
from worker.reminders.tasks import reconcile
from worker.runtime import services
from worker.tasks import triage_by_key

NEW_RECORD = """  - sen: SEN-10000042
    customer: Hooli
    region: AMER
    deployment: data-center
    products: [Jira Software]
    users: 900
    maintenance_end: 2027-12-31
    admins: [ops-admin@globex.example]
"""


def sweep_onboarding() -> dict:
    """The sweep as beat runs it; its on-boarding part."""
    return reconcile.apply(throw=True).get()["onboarding"]


def test_a_changed_record_re_triages_exactly_that_sens_open_requests(setup, redis_client):
    globex = [setup.request(), setup.request(severity="L2")]
    resolved = setup.request()
    stark = setup.request(sen="SEN-10000005")
    for key in [*globex, resolved, stark]:
        triage_by_key.apply(args=[key, "reconcile"], throw=True)
    setup.sim.set_status(resolved, "Resolved")
    redis_client.delete("psw")  # what the sweep itself queued (nothing of on-boarding yet)

    assert sweep_onboarding() == {"status": "baseline", "queued": {}}
    assert [t for t in queued_tasks(redis_client) if t[1][1] == "retriage"] == []

    setup.set_globex(RENEWED)
    redis_client.delete("psw")
    assert sweep_onboarding() == {"status": "ok", "queued": {"SEN-10000001": globex}}
    retriages = [args for name, args in queued_tasks(redis_client) if args[1] == "retriage"]
    assert retriages == [[k, "retriage", False, "on-boarding of SEN-10000001 (record changed)"] for k in globex]
    assert [r["status"] for r in run_queued(redis_client)] == ["written", "written"]
    for key in globex:
        assert "priority-support" in setup.sim.issue(key)["fields"]["labels"] and scheduled(redis_client, key)
    assert "ps-not-entitled" in setup.sim.issue(resolved)["fields"]["labels"]  # closed: left alone
    assert [e for e in services().audit.entries(stark) if e["kind"] == "retriage"] == []

    assert sweep_onboarding() == {"status": "ok", "queued": {}}  # nothing changed since


def test_a_new_sen_is_on_boarded(setup, redis_client):
    hooli = setup.request(sen="SEN-10000042")
    globex = setup.request()
    for key in (hooli, globex):
        triage_by_key.apply(args=[key, "reconcile"], throw=True)
    assert onboarding.check(services(), reconcile.app).baseline
    setup.add_record(NEW_RECORD)
    report = onboarding.check(services(), reconcile.app)
    assert (report.added, report.changed, report.removed, report.queued) == (["SEN-10000042"], [], [], {"SEN-10000042": [hooli]})
    results = [r for r in run_queued(redis_client) if r["issue"] == hooli]
    assert [r["status"] for r in results] == ["written"]
    comment = setup.sim.comments(hooli)[-1]["body"]
    assert comment.startswith("Priority Support re-triage (asked by on-boarding of SEN-10000042 (record added)): "
                              "now entitled: L1 (was not entitled (SEN_UNKNOWN))")
    assert "ps-not-entitled" in setup.sim.issue(globex)["fields"]["labels"]


def test_a_removed_record_re_triages_its_requests_too(setup, redis_client):
    setup.add_record(NEW_RECORD)
    hooli = setup.request(sen="SEN-10000042")
    triage_by_key.apply(args=[hooli, "reconcile"], throw=True)
    onboarding.check(services(), reconcile.app)
    setup.entitlements.write_text(setup.entitlements.read_text().replace(NEW_RECORD, ""))
    assert onboarding.check(services(), reconcile.app).queued == {"SEN-10000042": [hooli]}
    run_queued(redis_client)
    assert "ps-reason-sen_unknown" in setup.sim.issue(hooli)["fields"]["labels"]


def test_in_shadow_mode_the_re_triages_are_recorded_and_the_live_digests_kept(setup, redis_client, monkeypatch):
    from worker import runtime

    globex = setup.request()
    triage_by_key.apply(args=[globex, "reconcile"], throw=True)
    assert onboarding.check(services(), reconcile.app).baseline
    monkeypatch.setenv("SHADOW_MODE", "1")
    runtime.services.cache_clear()
    assert onboarding.check(services(), reconcile.app).baseline  # the shadow digests start apart
    setup.set_globex(RENEWED)
    assert onboarding.check(services(), reconcile.app).queued == {"SEN-10000001": [globex]}
    assert [r["status"] for r in run_queued(redis_client)] == ["shadow"]
    assert "ps-not-entitled" in setup.sim.issue(globex)["fields"]["labels"] and len(setup.sim.comments(globex)) == 1
    monkeypatch.delenv("SHADOW_MODE")
    runtime.services.cache_clear()
    assert onboarding.check(services(), reconcile.app).queued == {"SEN-10000001": [globex]}  # now for real
    assert [r["status"] for r in run_queued(redis_client)] == ["written"]
    assert "priority-support" in setup.sim.issue(globex)["fields"]["labels"]
