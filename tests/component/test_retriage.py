"""Re-triage on demand (issue 13 point 4): after an entitlement fix a not-entitled request
becomes entitled, with reminders; the comment says what changed and who asked; a second
re-triage posts nothing; the dry run and shadow mode write nothing."""
from __future__ import annotations

from jirasim import catalogue as cat
from tests.component.conftest import RENEWED, queued_tasks
from worker import unstarted
from worker.queues import QUEUE
from worker.reminders.store import DUE
from worker.retriage import request as retriage_request
from worker.runtime import services
from worker.tasks import triage_by_key


def run_queued(client) -> list[dict]:
    """What a worker does with the queued re-triages: run each, oldest first."""
    results = []
    for name, args in queued_tasks(client):
        assert name == "worker.tasks.triage_by_key"
        results.append(triage_by_key.apply(args=args, throw=True).get())
    client.delete(QUEUE)
    return results


def scheduled(client, key) -> list[str]:
    return [m.decode() for m in client.zrange(DUE, 0, -1) if m.decode().startswith(key + "|")]


def celery_app():
    from worker.celery_app import make_celery

    return make_celery(services().settings)


def comments(sim, key) -> list[str]:
    return [c["body"] for c in sim.comments(key)]


def test_an_entitlement_fix_turns_a_not_entitled_request_into_an_entitled_one_with_reminders(setup, redis_client):
    key = setup.request()
    assert triage_by_key.apply(args=[key, "reconcile"], throw=True).get()["status"] == "written"
    assert "ps-not-entitled" in setup.sim.issue(key)["fields"]["labels"]
    assert not setup.sim.issue(key)["fields"].get(services().config().routing.team_field.id)  # no team holds it
    assert scheduled(redis_client, key) == []
    setup.set_globex(RENEWED)  # the admin fixes Globex's record

    dry = retriage_request(services(), celery_app(), key, "alice", dry_run=True, via="cli")
    assert dry.before["outcome"] == "not_entitled" and dry.before["reasons"] == ["MAINTENANCE_EXPIRED"]
    assert dry.after["outcome"] == "entitled" and dry.after["level"] == "L1"
    assert dry.changes == ["now entitled: L1 (was not entitled (MAINTENANCE_EXPIRED))"]
    assert dry.comment.startswith("Priority Support re-triage (asked by alice): now entitled: L1")
    assert queued_tasks(redis_client) == [] and len(comments(setup.sim, key)) == 1  # the dry run wrote nothing

    applied = retriage_request(services(), celery_app(), key, "alice", dry_run=False, via="cli")
    assert applied.queued
    assert queued_tasks(redis_client) == [("worker.tasks.triage_by_key", [key, "retriage", False, "alice"])]
    assert redis_client.zcard(unstarted.KEY) == 1  # a worker dying with the message does not lose it
    assert [r["status"] for r in run_queued(redis_client)] == ["written"]
    assert redis_client.zcard(unstarted.KEY) == 0

    issue = setup.sim.issue(key)
    assert {"priority-support", "ps-l1"} <= set(issue["fields"]["labels"])
    assert "ps-not-entitled" not in issue["fields"]["labels"]
    assert issue["fields"]["priority"]["name"] == "Highest"
    # Routed as any triage routes (worker/routing): a team now holds it, in the same edit.
    assert issue["fields"].get(services().config().routing.team_field.id), issue["fields"]
    assert scheduled(redis_client, key)  # reminders, from the normal triage path
    retriage_comment = comments(setup.sim, key)[-1]
    assert retriage_comment.startswith("Priority Support re-triage (asked by alice): now entitled: L1 "
                                       "(was not entitled (MAINTENANCE_EXPIRED)).")
    assert "ENTITLED" in retriage_comment
    trail = services().audit.entries(key)
    triaged = next(e for e in trail if e["kind"] == "triage")
    assert triaged["requested_by"] == "alice" and triaged["outcome"] == "written"
    assert triaged["changes"] == ["now entitled: L1 (was not entitled (MAINTENANCE_EXPIRED))"]
    asked = [e for e in trail if e["kind"] == "retriage"]
    assert [e["outcome"] for e in asked] == ["queued", "dry_run"]
    assert all(e["requested_by"] == "alice" and e["via"] == "cli" for e in asked)

    # Again, nothing having changed: one comment per real change, none more.
    retriage_request(services(), celery_app(), key, "bob", dry_run=False, via="cli")
    assert [r["status"] for r in run_queued(redis_client)] == ["unchanged"]
    assert len(comments(setup.sim, key)) == 2


def test_a_level_change_says_from_which_level_to_which(setup, redis_client):
    key = setup.request(severity="L3")
    setup.set_globex(RENEWED)
    triage_by_key.apply(args=[key, "reconcile"], throw=True)
    # An agent corrects the severity with notifications off and no webhook reaching us.
    services().gateway().edit_issue(key, fields={cat.SEVERITY_FIELD: {"value": cat.severity_option("L1")}})
    result = retriage_request(services(), celery_app(), key, "carol", dry_run=False, via="console")
    assert result.changes[0] == "changed from L3 to L1"
    run_queued(redis_client)
    assert comments(setup.sim, key)[-1].startswith("Priority Support re-triage (asked by carol): changed from L3 to L1")


def test_shadow_mode_records_the_re_triage_and_writes_nothing(setup, redis_client, monkeypatch):
    from worker import runtime

    key = setup.request()
    triage_by_key.apply(args=[key, "reconcile"], throw=True)
    before = setup.sim.issue(key)["fields"]["labels"]
    setup.set_globex(RENEWED)
    monkeypatch.setenv("SHADOW_MODE", "1")
    runtime.services.cache_clear()
    retriage_request(services(), celery_app(), key, "dave", dry_run=False, via="admin-api")
    assert [r["status"] for r in run_queued(redis_client)] == ["shadow"]
    assert setup.sim.issue(key)["fields"]["labels"] == before and len(comments(setup.sim, key)) == 1
    assert scheduled(redis_client, key) == []
    entry = next(e for e in services().audit.entries(key) if e["kind"] == "triage")
    assert entry["outcome"] == "shadow" and entry["requested_by"] == "dave"
    assert entry["would_write"]["comment"].startswith("Priority Support re-triage (asked by dave): now entitled: L1")
    assert next(e for e in services().audit.entries(key) if e["kind"] == "retriage")["shadow"] is True


def test_a_new_config_version_alone_is_written_without_a_comment(setup, redis_client):
    import time

    key = setup.request()
    setup.set_globex(RENEWED)
    triage_by_key.apply(args=[key, "reconcile"], throw=True)
    before = services().config().version
    # A reminder's wording: a new config version, nothing an agent acts on in the triage.
    setup.config.write_text(setup.config.read_text().replace("Priority Support reminder:", "Priority Support reminder (edited):"))
    time.sleep(2.2)  # the live config looks at the file every 2 s
    assert services().config().version != before
    result = retriage_request(services(), celery_app(), key, "hana", dry_run=False, via="cli")
    assert (result.changes, result.comment, result.unchanged) == ([], None, False)
    assert [r["status"] for r in run_queued(redis_client)] == ["written"]
    assert len(comments(setup.sim, key)) == 1  # the first triage's only
    assert setup.sim.properties(key)["priority-support"]["config_version"] == services().config().version
    entry = next(e for e in services().audit.entries(key) if e["kind"] == "triage")
    assert entry["changes"] == [] and entry["writes"]["comment"] == ""
