"""The whole decision: what the triage writes and schedules, and its stable JSON."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from tests.policy_helpers import CREATED, config_with, facts, record, shipped
from worker.policy.decision import decide, jira_datetime
from worker.policy.entitlement import UNDECIDED
from worker.policy.entitlement import ReasonCode as R
from worker.policy.facts import Reporter, extract_facts

UTC = timezone.utc
LEVEL_LABELS = ("ps-l1", "ps-l2", "ps-l3", "ps-l4")
# Codes that say a rule could not be judged label nothing: such a request is marked ps-needs-review.
REASON_LABELS = tuple(f"ps-reason-{code.value.lower()}" for code in R if code not in UNDECIDED)


def l1():
    return facts(severity_option="L1 - Production down")


def test_an_entitled_l1_request():
    decision = decide(l1(), record("SEN-10000001"), shipped(), CREATED)
    assert decision.entitled and decision.reasons == ()
    assert (decision.level, decision.requested_level, decision.jira_priority) == ("L1", "L1", "Highest")
    assert (decision.sen, decision.customer, decision.region, decision.time_zone) == (
        "SEN-10000001", "Globex Corporation", "EMEA", "Europe/Amsterdam")
    assert decision.due == datetime(2026, 11, 26, 11, tzinfo=UTC)
    assert decision.reminders == (
        (0.5, datetime(2026, 11, 26, 10, 30, tzinfo=UTC)), (0.75, datetime(2026, 11, 26, 10, 45, tzinfo=UTC)),
        (0.9, datetime(2026, 11, 26, 10, 54, tzinfo=UTC)), (1.0, datetime(2026, 11, 26, 11, tzinfo=UTC)))
    assert decision.labels_add == ("priority-support", "ps-l1")
    assert set(decision.labels_remove) == {"ps-l2", "ps-l3", "ps-l4", "ps-not-entitled", "ps-needs-review",
                                            *REASON_LABELS}
    assert decision.fields == {"customfield_10110": "L1", "customfield_10111": "2026-11-26T11:00:00.000+0000",
                               "customfield_10112": "entitled"}
    assert decision.config_version == shipped().version
    assert decision.comment.splitlines() == [
        "Priority Support triage: ENTITLED.",
        "Customer: Globex Corporation (SEN-10000001), region EMEA.",
        "Requested level: L1, Production application down (the Severity field says 'L1 - Production down').",
        "Level: L1, Production application down; Jira priority Highest.",
        "Initial response due: 2026-11-26 12:00 CET (Europe/Amsterdam), 2026-11-26 11:00 UTC.",
        "Target 1h counted around the clock (24x7), from the request's creation at 2026-11-26 10:00 UTC.",
        "L1 phone support: the EMEA Priority Support line is +31 20 555 0100 (its office is on shift when it was raised).",
        "Routed to Priority Support EMEA (Emil Emea).",
        f"(mapping config version {shipped().version})",
    ]


@pytest.mark.parametrize("severity, level, due", [
    ("L2 - Serious degradation", "L2", datetime(2026, 11, 26, 12, tzinfo=UTC)),
    # L3: 8 working hours in Amsterdam from Thu 11:00 -> Fri 11:00 local (10:00 UTC).
    ("L3 - Moderate impact", "L3", datetime(2026, 11, 27, 10, tzinfo=UTC)),
    # L4: 16 working hours -> Mon 30 Nov 11:00 local.
    ("L4 - Limited impact", "L4", datetime(2026, 11, 30, 10, tzinfo=UTC)),
])
def test_each_level_runs_on_its_calendar(severity, level, due):
    decision = decide(facts(severity_option=severity), record("SEN-10000001"), shipped(), CREATED)
    assert (decision.level, decision.due) == (level, due)
    assert "phone" not in decision.comment


def test_a_non_production_l1_is_capped_at_l3():
    decision = decide(facts(severity_option="L1 - Production down", environment="Staging"),
                      record("SEN-10000001"), shipped(), CREATED)
    assert (decision.requested_level, decision.level, decision.jira_priority) == ("L1", "L3", "Medium")
    assert decision.labels_add == ("priority-support", "ps-l3")
    assert decision.due == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert "Capped: L1 is for production impact and the environment is 'Staging', so it is handled as L3." \
        in decision.comment.splitlines()


def test_a_request_that_is_not_entitled():
    request = facts(sen="SEN-10000002", product="Confluence", reporter=Reporter(email="it@initech.example"))
    decision = decide(request, record("SEN-10000002"), shipped(), CREATED)
    assert not decision.entitled
    assert decision.reason_codes == (R.NOT_PRIORITY, R.PRODUCT_NOT_COVERED)
    assert (decision.level, decision.jira_priority, decision.due, decision.reminders, decision.pending_reminders) == (
        None, None, None, (), ())
    assert decision.requested_level == "L2"
    assert decision.labels_add == ("ps-not-entitled", "ps-reason-not_priority", "ps-reason-product_not_covered")
    assert set(decision.labels_remove) == {"priority-support", *LEVEL_LABELS, "ps-needs-review",
                                            *REASON_LABELS} - set(decision.labels_add)
    assert decision.fields == {"customfield_10110": None, "customfield_10111": None,
                               "customfield_10112": None}
    lines = decision.comment.splitlines()
    assert lines[0].startswith("Priority Support triage: NOT ENTITLED. This request stays with the standard")
    assert lines[2].startswith("- NOT_PRIORITY: Priority Support was not purchased for SEN-10000002")
    assert lines[3] == "- PRODUCT_NOT_COVERED: Confluence is not on SEN-10000002 (Jira Software)."


def test_no_sen_gives_a_decision_in_utc_without_a_customer():
    decision = decide(facts(sen=None), None, shipped(), CREATED)
    assert decision.reason_codes == (R.SEN_MISSING,)
    assert (decision.sen, decision.customer, decision.region, decision.time_zone) == (None, None, None, "UTC")


def test_a_customer_time_zone_moves_the_regional_clock():
    # Wayne Builds: region AMER (Los Angeles) with its own zone, America/New_York.
    created = datetime(2026, 11, 30, 14, tzinfo=UTC)  # Monday 09:00 New York, 06:00 Los Angeles
    request = facts(sen="SEN-10000006", product="Bamboo", version="10.2.0", severity_option="L3 - Moderate impact",
                    reporter=Reporter(email="ci@wayne.example"), created=created)
    own_zone = decide(request, record("SEN-10000006"), shipped(), created)
    assert own_zone.due == datetime(2026, 11, 30, 22, tzinfo=UTC)  # 17:00 New York
    assert "Initial response due: 2026-11-30 17:00 EST (America/New_York), 2026-11-30 22:00 UTC." \
        in own_zone.comment
    region_zone = decide(request, record("SEN-10000006", time_zone=None), shipped(), created)
    assert region_zone.due == datetime(2026, 12, 1, 1, tzinfo=UTC)  # 17:00 Los Angeles


def test_regional_holidays_stop_the_regional_clock():
    # Thanksgiving (Thu 26 Nov 2026) and the day after are holidays in California: an AMER L3
    # request made on Thanksgiving starts its clock on Monday.
    request = facts(sen="SEN-10000005", product="Bitbucket", version="9.4.0", severity_option="L3 - Moderate impact",
                    reporter=Reporter(email="git-admin@stark.example"))
    amer = decide(request, record("SEN-10000005", region="AMER"), shipped(), CREATED)
    assert amer.due == datetime(2026, 12, 1, 1, tzinfo=UTC)  # Mon 30 Nov 17:00 Los Angeles
    emea = decide(request, record("SEN-10000005"), shipped(), CREATED)
    assert emea.due == datetime(2026, 11, 27, 10, tzinfo=UTC)


def test_passed_reminders_collapse_to_the_highest_one():
    on_time = decide(l1(), record("SEN-10000001"), shipped(), CREATED)
    assert on_time.pending_reminders == on_time.reminders
    now = CREATED + timedelta(minutes=50)  # after 50 % and 75 % of an L1 hour, before 90 %
    decision = decide(l1(), record("SEN-10000001"), shipped(), now)
    assert [at for at, _ in decision.pending_reminders] == [0.75, 0.9, 1.0]
    assert [at for at, _ in decision.reminders] == [0.5, 0.75, 0.9, 1.0]
    late = decide(l1(), record("SEN-10000001"), shipped(), CREATED + timedelta(hours=3))
    assert late.pending_reminders == ((1.0, datetime(2026, 11, 26, 11, tzinfo=UTC)),)


def test_to_json_is_stable_and_leaves_out_what_depends_on_the_decision_instant():
    first = decide(l1(), record("SEN-10000001"), shipped(), CREATED)
    again = decide(l1(), record("SEN-10000001"), shipped(), CREATED + timedelta(minutes=50))
    assert first.decided_at != again.decided_at and first.pending_reminders != again.pending_reminders
    assert first.to_json() == again.to_json()
    data = json.loads(first.to_json())
    assert list(data) == sorted(data)
    assert data["due"] == "2026-11-26T11:00:00Z" and data["created"] == "2026-11-26T10:00:00Z"
    assert data["reminders"][0] == {"at": 0.5, "instant": "2026-11-26T10:30:00Z"}
    assert data["reasons"] == [] and data["config_version"] == shipped().version
    assert "decided_at" not in data and "pending_reminders" not in data


def test_the_config_version_changes_with_the_config():
    changed = config_with({"levels": {"L1": {"target": "30m"}}})
    first = decide(l1(), record("SEN-10000001"), shipped(), CREATED)
    second = decide(l1(), record("SEN-10000001"), changed, CREATED)
    assert first.config_version != second.config_version
    assert second.due == datetime(2026, 11, 26, 10, 30, tzinfo=UTC)


def test_fields_the_config_does_not_name_are_not_written():
    config = config_with({"write_fields": {"level": None, "entitlement": None}})
    assert decide(l1(), record("SEN-10000001"), config, CREATED).fields == {
        "customfield_10111": "2026-11-26T11:00:00.000+0000"}


def test_deciding_needs_the_creation_time_and_an_aware_now():
    with pytest.raises(ValueError, match="PS-1: cannot decide without the creation time"):
        decide(facts(created=None), record("SEN-10000001"), shipped(), CREATED)
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(facts(), record("SEN-10000001"), shipped(), datetime(2026, 11, 26))


def test_jira_datetime_format():
    assert jira_datetime(datetime(2026, 11, 26, 11, 0, 5, 123456, tzinfo=timezone(timedelta(hours=1)))) == \
        "2026-11-26T10:00:05.123+0000"


# --- cannot decide (issue 12) ------------------------------------------------------------------


def _body(**fields):
    base = {"created": "2026-11-26T10:00:00.000+0000", "customfield_10100": "SEN-10000001",
            "customfield_10102": {"value": "Jira Software"}, "customfield_10103": "10.3.2",
            "customfield_10101": {"value": "L2 - Serious degradation"},
            "reporter": {"accountId": "557058:11111111-aaaa-4bbb-8ccc-000000000001"}}
    return {"key": "PS-1", "fields": base | fields}


def test_an_unreadable_sen_is_undecided_not_sen_missing():
    facts_ = extract_facts(_body(customfield_10100={"id": "10400", "self": "https://x/rest/api/2/customFieldOption/10400"}),
                           shipped())
    assert facts_.sen is None and facts_.unreadable == {"sen": "an object with keys id, self"}
    decision = decide(facts_, None, shipped(), CREATED)
    assert decision.outcome == "undecided" and not decision.entitled
    assert decision.reasons == () and [r.code for r in decision.undecided] == [R.FACT_UNREADABLE]
    assert decision.labels_add == ("ps-needs-review",)
    assert "ps-not-entitled" in decision.labels_remove and "ps-reason-sen_missing" in decision.labels_remove
    assert (decision.jira_priority, decision.due, decision.reminders) == (None, None, ())
    assert "Priority Support triage: CANNOT DECIDE." in decision.comment
    assert ("FACT_UNREADABLE: the SEN field (customfield_10100) holds an object with keys id, self, which cannot "
            "be read as a value.") in decision.comment
    assert decision.to_dict()["outcome"] == "undecided"
    assert decision.to_dict()["undecided"][0]["code"] == "FACT_UNREADABLE"


def test_a_cloud_reporter_whose_email_is_hidden_is_undecided_not_reporter_not_admin():
    # Globex lists ops-admin@globex.example; the reporter's account id is not listed and Cloud hid the email.
    body = _body(reporter={"accountId": "557058:22222222-0000-4000-8000-000000000009", "displayName": "Ola Ops"})
    decision = decide(extract_facts(body, shipped()), record("SEN-10000001"), shipped(), CREATED)
    assert decision.outcome == "undecided" and [r.code for r in decision.undecided] == [R.REPORTER_UNVERIFIED]
    assert "Ola Ops is not listed among the admin contacts of SEN-10000001" in decision.comment
    # Once the lookup shows the address (worker/triage.py), it is decided either way.
    shown = replace(extract_facts(body, shipped()), reporter=Reporter(
        account_id="557058:22222222-0000-4000-8000-000000000009", email="ops-admin@globex.example"))
    assert decide(shown, record("SEN-10000001"), shipped(), CREATED).outcome == "entitled"
    other = replace(shown, reporter=Reporter(account_id="557058:x", email="intern@globex.example"))
    assert decide(other, record("SEN-10000001"), shipped(), CREATED).reason_codes == (R.REPORTER_NOT_ADMIN,)


def test_a_rule_that_fails_rejects_even_when_another_cannot_be_judged():
    # Umbrella's maintenance ended: whatever the hidden email says, the request is not entitled.
    request = facts(sen="SEN-10000003", product="Confluence", version="9.2.1",
                    reporter=Reporter(account_id="557058:nobody"))
    decision = decide(request, record("SEN-10000003"), shipped(), CREATED)
    assert decision.outcome == "not_entitled"
    assert decision.reason_codes == (R.MAINTENANCE_EXPIRED,)
    assert [r.code for r in decision.undecided] == [R.REPORTER_UNVERIFIED]
    assert "Also not judged:\n- REPORTER_UNVERIFIED" in decision.comment


def test_an_unreadable_severity_field_is_undecided_but_a_later_source_is_not_needed():
    unreadable_severity = extract_facts(_body(customfield_10101={"id": "10"}), shipped())
    decision = decide(unreadable_severity, record("SEN-10000001"), shipped(), CREATED)
    assert decision.outcome == "undecided"
    assert "the severity field (customfield_10101) holds an object with keys id" in decision.undecided[0].detail
    # The Severity field gives the level: an unreadable impact (tried after it) changes nothing.
    fine = extract_facts(_body(customfield_10105=True), shipped())
    assert fine.unreadable == {"impact": "the value True"}
    assert decide(fine, record("SEN-10000001"), shipped(), CREATED).outcome == "entitled"
