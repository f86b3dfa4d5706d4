"""The `priority-support` property keeps its shape in Jira: one written by the code before the
typed reading (tests/fixtures/properties/written-before-the-model.json, made by the triage of
commit 4d10214 for PS-41) is read back whole, and today's triage writes the same JSON for it."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from tests.policy_helpers import facts, record, shipped
from tests.component.conftest import SEVERITY
from worker import decision_change, open_requests
from worker.instants import iso_utc
from worker.policy.decision import decide
from worker.reminders.plan import RecordedDecision, ReminderPlan
from worker.triage import decision_id, plan_writes

UTC = timezone.utc
WRITTEN = Path(__file__).resolve().parents[1] / "fixtures" / "properties" / "written-before-the-model.json"
CREATED = datetime(2026, 11, 26, 10, 0, 12, 345000, tzinfo=UTC)
TRIAGED = datetime(2026, 11, 26, 10, 0, 40, 123456, tzinfo=UTC)


def old_property() -> dict:
    return json.loads(WRITTEN.read_text())


def test_a_property_written_before_is_read_back_with_every_reminder():
    plan = ReminderPlan.from_property("PS-41", old_property())
    assert plan.entitled and plan.cycle == 1
    assert (plan.level, plan.region, plan.customer, plan.time_zone) == (
        "L2", "EMEA", "Globex Corporation", "Europe/Amsterdam")
    assert plan.created == datetime(2026, 11, 26, 10, 0, 12, tzinfo=UTC)  # the property keeps seconds
    assert plan.due == datetime(2026, 11, 26, 12, 0, 12, tzinfo=UTC)
    assert [(t.code, iso_utc(t.instant)) for t in plan.thresholds] == [
        ("50", "2026-11-26T11:00:12Z"), ("75", "2026-11-26T11:30:12Z"),
        ("90", "2026-11-26T11:48:12Z"), ("100", "2026-11-26T12:00:12Z")]
    late = datetime(2026, 11, 26, 11, 40, tzinfo=UTC)
    assert [t.code for t in plan.pending(late)] == ["75", "90", "100"]  # one catch-up, then ahead


def test_a_property_written_before_gives_the_same_board_row():
    row = open_requests.row_of("PS-41", old_property())
    assert row["due"] == datetime(2026, 11, 26, 12, 0, 12, tzinfo=UTC).timestamp()
    assert row["reminders"][0] == [0.5, datetime(2026, 11, 26, 11, 0, 12, tzinfo=UTC).timestamp()]
    assert (row["level"], row["decision_id"], row["cycle"]) == ("L2", "e7561a56c06c5a83", 1)


def _same_config(prop: dict) -> dict:
    """The property without what names the shipped config's version (its hash changes with any
    edit of worker/defaults/mapping.yaml, which is not a change of shape)."""
    version = prop.pop("config_version")
    prop.pop("decision_id")  # a hash of the decision, config version included
    prop["comment"] = prop["comment"].replace(version, "<version>")
    return prop


def test_todays_triage_writes_the_same_json_for_the_same_request():
    decision = decide(facts(issue_key="PS-41", created=CREATED, severity_option=SEVERITY["L2"]),
                      record("SEN-10000001", region="EMEA"), shipped(), TRIAGED)
    written = plan_writes(decision, decision_id(decision), {}, "delivery-41", TRIAGED).property
    assert json.loads(json.dumps(written)) == written  # plain JSON, nothing left to `default=`
    assert _same_config(dict(written)) == _same_config(old_property())


# -- the lenient reading: what the board, the request page and a re-triage read ------------------


def test_the_lenient_reading_of_a_property_written_before_names_what_the_strict_one_does():
    recorded, plan = RecordedDecision.parse(old_property()), ReminderPlan.from_property("PS-41", old_property())
    assert (recorded.level, recorded.region, recorded.customer, recorded.time_zone) == (
        plan.level, plan.region, plan.customer, plan.time_zone)
    assert (recorded.created, recorded.due, recorded.cycle) == (plan.created, plan.due, plan.cycle)
    assert [(at, instant) for at, instant in recorded.reminders] == [(t.at, t.instant) for t in plan.thresholds]
    assert (recorded.team, recorded.decision_id, recorded.severity_source) == (
        "Priority Support EMEA", "e7561a56c06c5a83", "field")


def malformed() -> dict:
    """Entitled with a readable due time, and every other field broken."""
    prop = old_property()
    prop.update(customer=5, sen=None, level=["L2"], created="yesterday", sla_cycle="two", route="EMEA",
                holidays={"region": "NL"}, reasons=[{"detail": "no code"}, "SEN_MISSING"],
                reminders=[{"at": 0.5, "instant": "soon"}, {"at": "75", "instant": "2026-11-26T11:30:12Z"},
                           "90", {"at": 1.0, "instant": "2026-11-26T12:00:12Z"}])
    return prop


def test_a_malformed_property_gives_a_partial_board_row():
    row = open_requests.row_of("PS-41", malformed())
    due = datetime(2026, 11, 26, 12, 0, 12, tzinfo=UTC).timestamp()
    assert row["due"] == due and row["region"] == "EMEA"
    assert (row["customer"], row["sen"], row["level"], row["team"], row["holidays"]) == ("", "", "", "", None)
    assert row["created"] is None and row["cycle"] == 1
    assert row["reminders"] == [[1.0, due]] and row["at_risk"] is None  # only the readable reminder


def test_a_property_without_an_entitled_true_or_a_readable_due_has_no_board_row():
    for broken in ({"entitled": "true"}, {"due": "noon"}, {"due": None}):
        assert open_requests.row_of("PS-41", {**old_property(), **broken}) is None
    assert RecordedDecision.parse("not an object") == RecordedDecision.parse({})


def test_a_malformed_recorded_decision_is_still_compared_with_a_new_one():
    before = decision_change.summary(malformed())
    assert (before["level"], before["customer"], before["reasons"]) == (None, None, ["?", "?"])  # a reason without a code
    assert decision_change.changes(before, {**before, "level": "L2"}) == ["changed from None to L2"]
