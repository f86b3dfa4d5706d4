"""The `priority-support` property keeps its shape in Jira: one written by the code before the
typed reading (tests/fixtures/properties/written-before-the-model.json, made by the triage of
commit 4d10214 for PS-41) is read back whole, and today's triage writes the same JSON for it."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from tests.policy_helpers import facts, record, shipped
from tests.component.conftest import SEVERITY
from worker import open_requests
from worker.instants import iso_utc
from worker.policy.decision import decide
from worker.reminders.plan import ReminderPlan
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
