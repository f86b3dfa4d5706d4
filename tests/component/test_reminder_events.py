"""Which webhook bodies matter to the reminders. The bodies come from the Jira simulator's event
builder (Cloud and Data Center shapes, as in tests/fixtures/webhooks), by doing things to an issue."""
from __future__ import annotations

import pytest
from responses import RequestsMock

from jirasim import catalogue as cat
from jirasim.shapes import AUTOMATION_USER, Site, user_for_email
from jirasim.store import Store
from tests.policy_helpers import shipped
from worker.reminders.actions import marker
from worker.reminders.events import Change, ChangeRules, FieldIds, classify

RULES = ChangeRules.from_config(shipped(), ("Waiting for customer",))
AGENT = user_for_email("agent@example.com")
CUSTOMER = user_for_email("customer@example.com", customer=True)
NAMES = {f.name.casefold(): f.id for f in cat.FIELDS if f.custom}


def by_catalogue(item):
    """What FieldIds does, from the simulator's own field list."""
    if item.get("fieldId"):
        return item["fieldId"]
    if item.get("fieldtype") == "custom":
        return NAMES.get(str(item["field"]).casefold())
    return item.get("field")


class Recorder:
    def __init__(self, flavor: str):
        self.bodies: list[tuple[str, dict]] = []
        self.store = Store(Site(flavor, "https://jira.example"), emit=lambda e, body, key: self.bodies.append((e, body)))
        values = cat.sample_request_fields(summary="Down", sen="SEN-10000001", severity="L1",
                                           environment="Production")
        self.key = self.store.create_request({"serviceDeskId": cat.SERVICE_DESK_ID, "requestTypeId": "1",
                                              "requestFieldValues": values}, CUSTOMER).key
        self.id = self.store.issue(self.key).id

    def after(self, action) -> list[tuple[str, dict]]:
        start = len(self.bodies)
        action(self.store)
        return self.bodies[start:]

    def one(self, action, event="jira:issue_updated") -> dict:
        [body] = [b for e, b in self.after(action) if e == event]
        return body


@pytest.fixture(params=["cloud", "datacenter"])
def jira(request) -> Recorder:
    return Recorder(request.param)


def edit(fields=None, update=None, user=AGENT):
    body = {k: v for k, v in (("fields", fields), ("update", update)) if v}
    return lambda store: store.edit(store.keys()[0], body, user)


def test_a_severity_change_asks_for_a_new_triage(jira):
    change = classify(jira.one(edit({cat.SEVERITY_FIELD: {"value": "L3 - Moderate impact"}})), RULES, by_catalogue)
    assert (change.issue, change.retriage, change.check) == (jira.key, "severity changed", None)


def test_a_sen_change_asks_for_a_new_triage(jira):
    change = classify(jira.one(edit({cat.SEN_FIELD: "SEN-10000005"})), RULES, by_catalogue)
    assert change.retriage == "sen changed"


def test_the_triage_s_own_edit_is_ignored(jira):
    body = jira.one(edit({cat.PS_LEVEL_FIELD: "L1", "priority": {"name": "Highest"}},
                         {"labels": [{"add": "priority-support"}, {"add": "ps-l1"}]}, user=AUTOMATION_USER))
    assert {i.get("field") for i in body["changelog"]["items"]} >= {"priority", "labels"}
    change = classify(body, RULES, by_catalogue)
    assert not change.relevant and change.ignored == "no change the reminders depend on"


def test_an_agent_changing_the_priority_away_from_the_level_asks_for_a_new_triage(jira):
    jira.after(edit({cat.PS_LEVEL_FIELD: "L1", "priority": {"name": "Highest"}}))
    change = classify(jira.one(edit({"priority": {"name": "Low"}})), RULES, by_catalogue)
    assert change.retriage == "priority changed to Low"


def test_labels_alone_are_ignored(jira):
    change = classify(jira.one(edit(update={"labels": [{"add": "ps-sla-at-risk"}]})), RULES, by_catalogue)
    assert not change.relevant


@pytest.mark.parametrize("status, relevant", [("Resolved", True), ("Waiting for customer", True),
                                              ("Waiting for support", False)])
def test_a_status_change_to_resolved_or_waiting_for_customer_asks_for_a_check(jira, status, relevant):
    if status == "Waiting for support":
        jira.after(lambda store: store.set_status(jira.key, "Waiting for customer"))
    change = classify(jira.one(lambda store: store.set_status(jira.key, status)), RULES, by_catalogue)
    assert change.check == (f"status changed to {status}" if relevant else None)
    assert change.retriage is None


def test_a_public_comment_asks_for_a_check_and_names_the_issue_even_on_data_center(jira):
    bodies = jira.after(lambda store: store.add_comment(jira.key, "We are on it", True, AGENT))
    [created] = [b for e, b in bodies if e == "comment_created"]
    change = classify(created, RULES, by_catalogue)
    # Data Center's comment_created has no `issue`: the id comes from comment.self.
    assert change.issue == (jira.key if jira.store.site.is_cloud else jira.id)
    assert change.check.startswith("comment ")
    if not jira.store.site.is_cloud:
        assert "issue" not in created
    # The jira:issue_updated sent beside it has no changelog: ignored (one check is enough).
    [updated] = [b for e, b in bodies if e == "jira:issue_updated"]
    assert not classify(updated, RULES, by_catalogue).relevant


def test_an_internal_comment_is_ignored_where_the_body_says_so(jira):
    body = jira.one(lambda store: store.add_comment(jira.key, "note to self", False, AGENT), "comment_created")
    change = classify(body, RULES, by_catalogue)
    # Only Cloud marks visibility in the webhook; on Data Center the check reads it from Jira.
    assert change.relevant is (not jira.store.site.is_cloud)


def test_a_reminder_s_own_comment_is_ignored(jira):
    text = f"Priority Support reminder ... ({marker(1, '50')})"
    body = jira.one(lambda store: store.add_comment(jira.key, text, True, AUTOMATION_USER), "comment_created")
    assert classify(body, RULES, by_catalogue).ignored == "a reminder's own comment"


def test_a_warm_handoff_s_own_comment_is_ignored(jira):
    # Data Center's comment webhook says nothing of visibility: the handoff comment is known by its marker.
    text = "Priority Support warm handoff (L1): ...\n\n(psw-handoff:20261208T0100Z)"
    body = jira.one(lambda store: store.add_comment(jira.key, text, False, AUTOMATION_USER), "comment_created")
    expected = "internal comment" if jira.store.site.is_cloud else "a warm handoff's own comment"
    assert classify(body, RULES, by_catalogue).ignored == expected


@pytest.mark.parametrize("body, why", [
    ({"webhookEvent": "jira:issue_created"}, "event 'jira:issue_created' does not concern reminders"),
    ({"webhookEvent": "comment_created"}, "comment_created without a comment"),
    ({"webhookEvent": "comment_created", "comment": {"self": "https://x/other"}}, "comment_created naming no issue"),
    ({"webhookEvent": "jira:issue_updated", "issue": {}}, "jira:issue_updated without an issue key"),
])
def test_bodies_that_name_nothing_usable_are_ignored_with_a_reason(body, why):
    assert classify(body, RULES, by_catalogue) == Change(issue=None, ignored=why)


FIELDS = [{"id": "customfield_10101", "name": "Severity", "custom": True},
          {"id": "customfield_10100", "name": "SEN", "custom": True},
          {"id": "summary", "name": "Summary", "custom": False}]


def test_data_center_custom_field_names_are_read_once_and_kept_in_redis(redis_client):
    from tests.http.sites import DATACENTER
    from worker.jira.gateway import JiraGateway

    with RequestsMock() as rsps:
        rsps.get(f"{DATACENTER.url}/rest/api/2/field", json=FIELDS)
        ids = FieldIds(redis_client, lambda: JiraGateway(DATACENTER))
        assert ids({"field": "Severity", "fieldtype": "custom"}) == "customfield_10101"
        assert ids({"field": "sen", "fieldtype": "custom"}) == "customfield_10100"
        assert ids({"field": "Nobody's field", "fieldtype": "custom"}) is None
        assert ids({"field": "status", "fieldtype": "jira"}) == "status"
        assert ids({"field": "Severity", "fieldId": "customfield_10101"}) == "customfield_10101"
        assert len(rsps.calls) == 1
    fresh = FieldIds(redis_client, lambda: pytest.fail("read Jira again"))
    assert fresh({"field": "Severity", "fieldtype": "custom"}) == "customfield_10101"
    assert 0 < redis_client.ttl(FieldIds.KEY) <= 86400
