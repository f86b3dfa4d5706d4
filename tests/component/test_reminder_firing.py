"""Firing a claimed reminder against Jira (`responses`), Cloud and Data Center."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import responses
import time_machine
from prometheus_client import REGISTRY
from responses import matchers

from tests.http.sites import CLOUD, DATACENTER
from tests.component.conftest import decision_property, make_services
from worker.jira.errors import JiraUnavailable
from worker.reminders import schedule_for_decision
from worker.reminders.actions import ChatUnavailable, marker
from worker.reminders.dispatch import dispatch_due
from worker.reminders.firing import fire
from worker.settings import ReminderSettings
from worker.reminders.store import ReminderStore

UTC = timezone.utc
CREATED = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 09:00 Amsterdam
AT = {"50": CREATED + timedelta(minutes=30), "75": CREATED + timedelta(minutes=45),
      "90": CREATED + timedelta(minutes=54), "100": CREATED + timedelta(hours=1)}
REPORTER = {"cloud": {"accountId": "557058:11111111-aaaa-4bbb-8ccc-000000000001", "displayName": "Gia Globex"},
            "datacenter": {"name": "globex.admin", "key": "globex.admin", "displayName": "Gia Globex"}}
AGENT = {"cloud": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Sam Agent"},
         "datacenter": {"name": "sam.agent", "key": "sam.agent", "displayName": "Sam Agent"}}
# A customer added to the request (Cloud: a portal customer account; Data Center: an unlicensed user).
PARTICIPANT = {"cloud": {"accountId": "qm:a713c8ea-1075-4e30-9d96-891a7d181739:5ad6d3581db05e2a66fa80b",
                         "displayName": "Paul Participant"},
               "datacenter": {"name": "paul.participant", "key": "JIRAUSER10311", "displayName": "Paul Participant"}}
PARTICIPANTS_FIELD = "customfield_10026"
CHAT = "https://chat.example/hooks/T000/B000/secret-path"
SETTINGS = ReminderSettings()


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def status(name="Waiting for support", category="new"):
    return {"name": name, "statusCategory": {"key": category}}


def issue_json(site, prop, *, labels=(), state=None):
    return {"key": "PS-1", "fields": {"summary": "Jira is down", "status": state or status(),
                                      "reporter": REPORTER[site.deployment], "labels": list(labels)},
            "properties": {"priority-support": prop} if prop is not None else {}}


def page(values):
    return {"size": len(values), "start": 0, "limit": 100, "isLastPage": True, "values": values}


def sla(stopped: bool):
    metric = {"id": "1", "name": "Time to first response", "ongoingCycle": {"breached": False}, "completedCycles": []}
    if stopped:
        metric = {**metric, "completedCycles": [{"breached": False}], "ongoingCycle": None}
    return [metric, {"id": "2", "name": "Time to resolution", "completedCycles": []}]


def comment(author, body, public):
    return {"id": "10100", "body": body, "public": public, "author": author}


class Jira:
    """The calls one firing makes, registered in order on `responses`."""

    def __init__(self, rsps, site):
        self.rsps, self.site, self.base = rsps, site, site.url

    def issue(self, prop, **kwargs):
        self.rsps.get(f"{self.base}/rest/api/2/issue/PS-1", json=issue_json(self.site, prop, **kwargs), match=[
            matchers.query_param_matcher({"fields": "summary,status,reporter,labels",
                                          "properties": "priority-support"})])

    def sla(self, values, status_code=200):
        self.rsps.get(f"{self.base}/rest/servicedeskapi/request/PS-1/sla", json=page(values), status=status_code)

    def comments(self, values):
        self.rsps.get(f"{self.base}/rest/servicedeskapi/request/PS-1/comment", json=page(values),
                      match=[matchers.query_param_matcher({"public": "true", "internal": "true",
                                                           "start": "0", "limit": "100"})])

    def account_type(self, user, account_type, status_code=200):
        """The lookup of a comment author (the service desk API names them without a type):
        Cloud answers `accountType`; Data Center the user's licences (`applicationRoles`), none
        for a JSM customer; `account_type=None`, a Data Center that does not expand them."""
        if self.site.deployment == "cloud":
            self.rsps.get(f"{self.base}/rest/api/3/user", json={**user, "accountType": account_type},
                          status=status_code, match=[matchers.query_param_matcher({"accountId": user["accountId"]})])
            return
        roles = {"atlassian": [{"key": "jira-servicedesk", "name": "Jira Service Management"}],
                 "customer": []}
        found = {**user, **({"applicationRoles": {"size": len(roles[account_type]), "items": roles[account_type]}}
                            if account_type else {})}
        self.rsps.get(f"{self.base}/rest/api/2/user", json=found, status=status_code, match=[
            matchers.query_param_matcher({"username": user["name"], "expand": "applicationRoles"})])

    def participants(self, users):
        """The request participants: the field found in Jira's field list, then its value read."""
        self.rsps.get(f"{self.base}/rest/api/2/field", json=[
            {"id": "summary", "name": "Summary", "custom": False, "schema": {"type": "string", "system": "summary"}},
            {"id": PARTICIPANTS_FIELD, "name": "Request participants", "custom": True,
             "schema": {"type": "array", "items": "user",
                        "custom": "com.atlassian.servicedesk:sd-request-participants", "customId": 10026}}])
        self.rsps.get(f"{self.base}/rest/api/2/issue/PS-1", json={"key": "PS-1", "fields": {PARTICIPANTS_FIELD: users}},
                      match=[matchers.query_param_matcher({"fields": PARTICIPANTS_FIELD})])

    def labels(self, *added):
        self.rsps.put(f"{self.base}/rest/api/2/issue/PS-1", status=204, match=[
            matchers.query_param_matcher({"notifyUsers": "false"}),
            matchers.json_params_matcher({"update": {"labels": [{"add": label} for label in added]}})])

    def post_comment(self, status_code=201):
        return self.rsps.post(f"{self.base}/rest/servicedeskapi/request/PS-1/comment", status=status_code,
                              json={"id": "10200", "body": "", "public": False})


def posted_comment(rsps) -> str:
    [call] = [c for c in rsps.calls if c.request.method == "POST" and "/comment" in c.request.url]
    body = json.loads(call.request.body)
    assert body["public"] is False
    return body["body"]


def claimed(services, code: str, prop=None) -> tuple[ReminderStore, dict]:
    prop = prop or decision_property("L1", CREATED, CREATED)
    schedule_for_decision(services, "PS-1", prop, CREATED)
    store = ReminderStore(services.redis)
    dispatch_due(store, lambda n: n.encode(), "test-q", AT[code], timedelta(minutes=5))
    assert store.scheduled("PS-1", [code])[code][0] == "claimed"
    return store, prop


def test_a_due_reminder_fires_labels_mention_and_a_marked_comment(services, site, rsps):
    store, prop = claimed(services, "75")
    jira = Jira(rsps, site)
    jira.issue(prop)
    jira.sla(sla(stopped=False))
    jira.comments([])
    jira.labels("ps-sla-at-risk")
    jira.post_comment()
    outcome = fire(services, "PS-1|75", AT["75"], SETTINGS)
    assert outcome.status == "fired"
    text = posted_comment(rsps)
    mention = "[~accountid:557058:0a1b2c3d-0000-4000-8000-00000000e001]" if site.is_cloud else "[~emea.duty]"
    assert f"{mention}, please check." in text
    assert "L1 initial response at risk, 75% of the target elapsed" in text
    assert "Due 2026-12-07 10:00 CET (2026-12-07 09:00 UTC)" in text
    assert text.endswith(f"({marker(1, '75')})")
    assert store.fired_codes("PS-1", 1, ["75"]) == {"75"}
    assert store.scheduled("PS-1", ["75", "90", "100"]) == {"90": ("due", AT["90"].timestamp()),
                                                            "100": ("due", AT["100"].timestamp())}
    [entry] = [e for e in services.audit.entries("PS-1") if e["kind"] == "reminder"]
    assert entry["threshold"] == "75" and entry["actions"] == ["labels ps-sla-at-risk", "comment"]
    assert entry["jira_calls"] == 5


@pytest.mark.parametrize("after", [SETTINGS.late_after - 5, SETTINGS.late_after + 5], ids=["in-time", "late"])
def test_a_reminder_fired_past_the_allowance_is_counted_late_once(services, site, rsps, after):
    _, prop = claimed(services, "100")
    jira = Jira(rsps, site)
    jira.issue(prop, labels=["priority-support", "ps-sla-breached"])
    jira.sla(sla(stopped=False))
    jira.comments([])
    jira.post_comment()
    before = REGISTRY.get_sample_value("psw_reminders_late_total") or 0.0
    at = AT["100"] + timedelta(seconds=after)
    with time_machine.travel(at, tick=False):
        assert fire(services, "PS-1|100", at, SETTINGS).status == "fired"
    late = (REGISTRY.get_sample_value("psw_reminders_late_total") or 0.0) - before
    assert late == (1 if after > SETTINGS.late_after else 0)


def test_a_label_already_on_the_issue_is_not_written_again(services, site, rsps):
    _, prop = claimed(services, "100")
    jira = Jira(rsps, site)
    jira.issue(prop, labels=["priority-support", "ps-sla-breached"])
    jira.sla(sla(stopped=False))
    jira.comments([])
    jira.post_comment()
    assert fire(services, "PS-1|100", AT["100"], SETTINGS).status == "fired"
    assert "breached at 2026-12-07 09:00 UTC with no first response" in posted_comment(rsps)


def test_a_response_by_sla_cancels_the_rest_of_the_cycle(services, site, rsps):
    store, prop = claimed(services, "50")
    jira = Jira(rsps, site)
    jira.issue(prop)
    jira.sla(sla(stopped=True))
    outcome = fire(services, "PS-1|50", AT["50"], SETTINGS)
    assert outcome.status == "cancelled" and "stopped" in outcome.detail
    assert store.scheduled("PS-1", ["50", "75", "90", "100"]) == {}
    assert store.settled_cycle("PS-1") == 1
    assert store.fired_codes("PS-1", 1, ["50"]) == set()
    # A re-triage of the same cycle (a severity change after the response) schedules nothing.
    assert schedule_for_decision(services, "PS-1", prop, AT["50"]) == 0


def test_without_the_sla_a_public_comment_by_someone_else_is_the_response(services, site, rsps):
    store, prop = claimed(services, "50")
    jira = Jira(rsps, site)
    jira.issue(prop)
    jira.sla([{"id": "2", "name": "Time to resolution", "completedCycles": []}])
    jira.comments([comment(REPORTER[site.deployment], "any news?", True),
                   comment(AGENT[site.deployment], "internal note", False),
                   comment(AGENT[site.deployment], "We are on it", True)])
    jira.account_type(AGENT[site.deployment], "atlassian")
    outcome = fire(services, "PS-1|50", AT["50"], SETTINGS)
    assert (outcome.status, outcome.detail) == ("cancelled", "public comment 10100 by an agent")
    assert store.scheduled("PS-1", ["75"]) == {}


def test_without_the_sla_a_request_participants_public_comment_is_no_response(services, site, rsps):
    # Issue 12: another customer on the request commented; every reminder was cancelled.
    store, prop = claimed(services, "50")
    jira = Jira(rsps, site)
    jira.issue(prop)
    jira.sla([{"id": "2", "name": "Time to resolution", "completedCycles": []}])
    jira.comments([comment(PARTICIPANT[site.deployment], "Same here, our second node is down too", True)])
    jira.account_type(PARTICIPANT[site.deployment], "customer")
    jira.post_comment()
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "fired"
    assert sorted(store.scheduled("PS-1", ["75", "90", "100"])) == ["100", "75", "90"]


def test_an_apps_public_comment_is_no_response(redis_url, redis_client, rsps):
    services = make_services(redis_url, redis_client, CLOUD)  # only Cloud names an app account
    app = {"accountId": "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", "displayName": "Automation for Jira"}
    store, prop = claimed(services, "50")
    jira = Jira(rsps, CLOUD)
    jira.issue(prop)
    jira.sla([])
    jira.comments([comment(app, "Thanks, we received your request.", True)])
    jira.account_type(app, "app")
    jira.post_comment()
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "fired"
    assert len(store.scheduled("PS-1", ["75", "90", "100"])) == 3


def test_a_site_refusing_the_sla_endpoint_falls_back_to_comments(services, site, rsps):
    claimed(services, "50")
    jira = Jira(rsps, site)
    jira.issue(decision_property("L1", CREATED, CREATED))
    jira.sla([], status_code=404)
    jira.comments([comment(REPORTER[site.deployment], "still down", True)])  # the reporter only
    jira.post_comment()
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "fired"


@pytest.mark.parametrize("state, reads_more", [(status("Resolved", "done"), False),
                                               (status("Waiting for customer", "indeterminate"), True)])
def test_a_resolved_or_waiting_for_customer_request_is_not_reminded(services, site, rsps, state, reads_more):
    store, prop = claimed(services, "90")
    jira = Jira(rsps, site)
    jira.issue(prop, state=state)
    if reads_more:  # resolved needs no more reading; "waiting for customer" is the last resort
        jira.sla([])
        jira.comments([])
    assert fire(services, "PS-1|90", AT["90"], SETTINGS).status == "cancelled"
    assert store.scheduled("PS-1", ["90", "100"]) == {}


def test_a_comment_posted_before_a_crash_is_found_and_not_posted_again(services, site, rsps):
    store, prop = claimed(services, "75")
    jira = Jira(rsps, site)
    jira.issue(prop, labels=["ps-sla-at-risk"])
    jira.sla(sla(stopped=False))
    jira.comments([comment({"accountId": "bot", "name": "bot"}, f"... ({marker(1, '75')})", False)])
    outcome = fire(services, "PS-1|75", AT["75"], SETTINGS)
    assert outcome.status == "already_posted"
    assert store.fired_codes("PS-1", 1, ["75"]) == {"75"}
    assert "75" not in store.scheduled("PS-1", ["75"])


def test_a_public_comment_with_a_marker_text_does_not_count_as_ours(services, site, rsps):
    claimed(services, "75")
    jira = Jira(rsps, site)
    jira.issue(decision_property("L1", CREATED, CREATED), labels=["ps-sla-at-risk"])
    jira.sla(sla(stopped=False))
    jira.comments([comment(REPORTER[site.deployment], f"quoting ({marker(1, '75')})", True)])
    jira.post_comment()
    assert fire(services, "PS-1|75", AT["75"], SETTINGS).status == "fired"


def test_a_threshold_fired_in_this_cycle_never_fires_again(services, site, rsps):
    store, prop = claimed(services, "50")
    store.mark_fired("PS-1", 1, "50")
    Jira(rsps, site).issue(prop)
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "already_fired"
    assert store.scheduled("PS-1", ["50"]) == {}


def test_a_new_sla_cycle_fires_its_thresholds_again(services, site, rsps):
    store, _ = claimed(services, "50")
    store.mark_fired("PS-1", 1, "50")
    prop = decision_property("L1", CREATED, CREATED, sla_cycle=2)
    jira = Jira(rsps, site)
    jira.issue(prop)
    jira.sla(sla(stopped=True))  # cycle 1 stopped, cycle 2 running
    jira.comments([comment({"accountId": "bot", "name": "bot"}, f"({marker(1, '50')})", False)])
    jira.post_comment()
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "fired"
    assert posted_comment(rsps).endswith(f"({marker(2, '50')})")


def test_a_reminder_no_longer_claimed_makes_no_jira_call(services, site, rsps):
    store, _ = claimed(services, "50")
    store.remove("PS-1", ["50"])  # a cancel or recompute took it while its task waited
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "not_scheduled"
    assert len(rsps.calls) == 0


def test_a_lower_threshold_is_superseded_when_a_higher_one_has_passed(services, site, rsps):
    store, prop = claimed(services, "50")
    Jira(rsps, site).issue(prop)
    assert fire(services, "PS-1|50", AT["90"], SETTINGS).status == "superseded"
    assert store.fired_codes("PS-1", 1, ["50"]) == set()
    assert store.scheduled("PS-1", ["50"]) == {}


def test_a_reminder_whose_instant_moved_later_goes_back_on_the_schedule(services, site, rsps):
    store, _ = claimed(services, "50")
    later = decision_property("L3", CREATED, CREATED)  # the property already says L3
    Jira(rsps, site).issue(later)
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "not_yet"
    l3_half = datetime.fromisoformat(later["reminders"][0]["instant"])
    assert store.scheduled("PS-1", ["50"]) == {"50": ("due", l3_half.timestamp())}


@pytest.mark.parametrize("prop", [None, {"entitled": False}], ids=["untriaged", "not-entitled"])
def test_a_request_without_an_entitled_decision_drops_the_reminder(services, site, rsps, prop):
    store, _ = claimed(services, "50")
    Jira(rsps, site).issue(prop)
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "not_entitled"
    assert store.scheduled("PS-1", ["50"]) == {}


def test_the_chat_webhook_carries_key_summary_level_and_time_left(services, site, rsps, monkeypatch):
    monkeypatch.setenv("PSW_CHAT_WEBHOOK_URL", CHAT)
    claimed(services, "90")
    jira = Jira(rsps, site)
    jira.issue(decision_property("L1", CREATED, CREATED))
    jira.sla(sla(stopped=False))
    jira.comments([])
    jira.labels("ps-sla-at-risk")
    rsps.post(CHAT, status=200, match=[matchers.json_params_matcher({
        "text": 'Priority Support L1 PS-1 "Jira is down": 90% of the initial-response target elapsed, 6m left.',
        "issue_key": "PS-1", "summary": "Jira is down", "level": "L1", "threshold": "90%",
        "time_left_seconds": 360, "due": "2026-12-07T09:00:00Z"})])
    jira.post_comment()
    outcome = fire(services, "PS-1|90", AT["90"], SETTINGS)
    assert outcome.status == "fired" and outcome.detail == "labels ps-sla-at-risk, chat, comment"


def test_a_failing_chat_webhook_retries_then_no_longer_holds_up_the_reminder(services, site, rsps, monkeypatch, caplog):
    monkeypatch.setenv("PSW_CHAT_WEBHOOK_URL", CHAT)
    store, prop = claimed(services, "90")
    jira = Jira(rsps, site)
    for _ in range(2):
        jira.issue(prop)
        jira.sla(sla(stopped=False))
        jira.comments([])
        jira.labels("ps-sla-at-risk")
        rsps.post(CHAT, status=502)
    with pytest.raises(ChatUnavailable, match="answered 502"):
        fire(services, "PS-1|90", AT["90"], SETTINGS, attempt=0)
    assert store.scheduled("PS-1", ["90"])["90"][0] == "claimed"
    jira.post_comment()
    outcome = fire(services, "PS-1|90", AT["90"], SETTINGS, attempt=SETTINGS.chat_attempts - 1)
    assert outcome.status == "fired" and "chat failed (chat webhook answered 502)" in outcome.detail
    assert CHAT not in caplog.text and "secret-path" not in json.dumps(services.audit.entries("PS-1"))


def test_a_jira_failure_keeps_the_claim_and_the_threshold_unfired(services, site, rsps):
    store, prop = claimed(services, "50")
    jira = Jira(rsps, site)
    jira.issue(prop)
    jira.sla(sla(stopped=False))
    jira.comments([])
    jira.post_comment(status_code=503)
    with pytest.raises(JiraUnavailable):
        fire(services, "PS-1|50", AT["50"], SETTINGS)
    assert store.scheduled("PS-1", ["50"])["50"][0] == "claimed"
    assert store.fired_codes("PS-1", 1, ["50"]) == set()
    assert store.lock("PS-1|50", timedelta(seconds=5)) is not None  # the lock was given back


def test_a_deleted_issue_drops_the_reminder_with_an_audit_entry(services, site, rsps):
    store, _ = claimed(services, "50")
    rsps.get(f"{site.url}/rest/api/2/issue/PS-1", status=404,
             json={"errorMessages": ["Issue does not exist or you do not have permission to see it."]})
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "failed"
    assert store.scheduled("PS-1", ["50"]) == {}
    assert services.audit.entries("PS-1")[0]["kind"] == "reminder_failed"


def test_a_second_firing_of_the_same_reminder_waits_for_the_first(services, site, rsps):
    store, _ = claimed(services, "50")
    token = store.lock("PS-1|50", timedelta(seconds=30))
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "busy"
    assert store.scheduled("PS-1", ["50"])["50"][0] == "claimed"
    store.unlock("PS-1|50", token)


def test_labels_jira_refuses_do_not_silence_the_comment(services, site, rsps):
    store, prop = claimed(services, "75")
    jira = Jira(rsps, site)
    jira.issue(prop)
    jira.sla(sla(stopped=False))
    jira.comments([])
    rsps.put(f"{site.url}/rest/api/2/issue/PS-1", status=400,
             json={"errorMessages": [], "errors": {"labels": "Field 'labels' cannot be set."}})
    jira.post_comment()
    outcome = fire(services, "PS-1|75", AT["75"], SETTINGS)
    assert outcome.status == "fired" and outcome.detail == "labels refused (400), comment"
    assert store.fired_codes("PS-1", 1, ["75"]) == {"75"}


def test_a_running_firing_keeps_its_claim_and_lock_past_its_lease_and_a_dead_one_lets_go(redis_client):
    from worker.reminders import firing
    from worker.reminders.store import CLAIMED

    store, lease = ReminderStore(redis_client), timedelta(seconds=0.3)
    redis_client.zadd(CLAIMED, {"PS-1|50": time.time() + lease.total_seconds()})
    token = store.lock("PS-1|50", lease)
    renewer = firing._Renewer(store, "PS-1|50", token, lease)
    time.sleep(1.0)  # three leases
    assert redis_client.zscore(CLAIMED, "PS-1|50") > time.time()
    assert redis_client.get("psw:reminders:lock:PS-1|50") == token.encode()
    renewer.stop()  # as if its worker died: nothing renews any more
    time.sleep(0.5)
    assert redis_client.zscore(CLAIMED, "PS-1|50") < time.time()  # the next tick hands it out again
    assert redis_client.get("psw:reminders:lock:PS-1|50") is None


def a_participants_comment_where_the_lookup_cannot_tell(services, site, rsps, status_code, account_type):
    store, prop = claimed(services, "50")
    jira = Jira(rsps, site)
    jira.issue(prop)
    jira.sla([])
    jira.comments([comment(PARTICIPANT[site.deployment], "Any update?", True)])
    jira.account_type(PARTICIPANT[site.deployment], account_type, status_code=status_code)
    jira.participants([REPORTER[site.deployment], PARTICIPANT[site.deployment]])
    jira.post_comment()
    assert fire(services, "PS-1|50", AT["50"], SETTINGS).status == "fired"
    assert len(store.scheduled("PS-1", ["75", "90", "100"])) == 3


def test_a_refused_author_lookup_leaves_it_to_the_request_participants(services, site, rsps):
    # No "Browse users and groups": the lookup is refused, and the firing does not fail on it.
    a_participants_comment_where_the_lookup_cannot_tell(services, site, rsps, 403, "customer")


def test_a_data_center_lookup_without_licences_leaves_it_to_the_request_participants(redis_url, redis_client, rsps):
    # A Data Center version that does not expand applicationRoles.
    services = make_services(redis_url, redis_client, DATACENTER)
    a_participants_comment_where_the_lookup_cannot_tell(services, DATACENTER, rsps, 200, None)


def test_an_author_neither_lookup_nor_participants_can_place_counts_as_before(services, site, rsps):
    store, prop = claimed(services, "50")
    jira = Jira(rsps, site)
    jira.issue(prop)
    jira.sla([])
    jira.comments([comment(PARTICIPANT[site.deployment], "Any update?", True)])
    jira.account_type(PARTICIPANT[site.deployment], "customer", status_code=403)
    jira.participants([])  # not on the request: an organisation member, say (docs/POLICY.md 5, gap)
    outcome = fire(services, "PS-1|50", AT["50"], SETTINGS)
    assert (outcome.status, outcome.detail) == (
        "cancelled", "public comment 10100 by someone other than the reporter and the request participants")
