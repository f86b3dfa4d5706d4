"""Reading a request's facts from Cloud and Data Center webhook bodies."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.policy_helpers import config_with, shipped
from worker.policy.facts import Reporter, extract_facts, field_text, parse_jira_datetime

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def test_a_cloud_body():
    facts = extract_facts(payload("cloud-entitled-l1.json"), shipped())
    assert (facts.issue_key, facts.issue_id) == ("PS-101", "10101")
    assert facts.created == datetime(2026, 11, 26, 10, tzinfo=timezone.utc)
    assert (facts.sen, facts.product, facts.version, facts.environment) == (
        "SEN-10000001", "Jira Software", "10.3.2", "Production")
    assert (facts.severity_option, facts.priority, facts.impact, facts.urgency) == (
        "L1 - Production down", "Medium", None, None)
    assert (facts.request_type_name, facts.request_type_id) == ("Report a production outage", "12")
    assert facts.reporter == Reporter(account_id="557058:11111111-aaaa-4bbb-8ccc-000000000001",
                                      display_name="Gia Globex")
    assert facts.summary == "Jira is down for every user"
    assert facts.missing == ()


def test_a_data_center_body():
    facts = extract_facts(payload("dc-maintenance-expired.json"), shipped())
    assert facts.sen == "10000003"  # as written; normalised when checked
    assert facts.reporter == Reporter(username="umbrella.admin", key="JIRAUSER10003",
                                      email="wiki-admin@umbrella.example", display_name="Uma Umbrella")
    assert facts.reporter.identities() == {"umbrella.admin", "jirauser10003", "wiki-admin@umbrella.example"}
    assert (facts.product, facts.severity_option, facts.priority) == ("Confluence", "L2 - Serious degradation", "High")


def test_the_bare_issue_is_accepted_as_well_as_the_body():
    body = payload("cloud-entitled-l1.json")
    assert extract_facts(body["issue"], shipped()) == extract_facts(body, shipped())


def test_facts_a_trimmed_issue_lacks_are_listed_as_missing():
    # The issue in a comment webhook carries only a few fields.
    trimmed = {"id": "10101", "key": "PS-101", "fields": {"summary": "Jira is down", "priority": {"name": "High"},
                                                          "customfield_10100": None}}
    facts = extract_facts({"webhookEvent": "comment_created", "issue": trimmed}, shipped())
    # The shipped non-English rule reads the description, so a body without one is read again.
    assert facts.missing == ("created", "request_type", "reporter", "description", "product", "version",
                             "environment", "severity", "impact", "urgency")
    assert facts.sen is None and "sen" not in facts.missing  # present but empty is a known "no SEN"
    assert facts.priority == "High"


def test_fields_named_by_out_of_scope_rules_are_read():
    config = config_with({"out_of_scope": {"rules": [
        {"category": "non-english", "field": "customfield_10120", "values": ["Deutsch"]}]}})
    body = payload("cloud-entitled-l1.json")
    body["issue"]["fields"]["customfield_10120"] = {"value": "Deutsch", "id": "1"}
    assert extract_facts(body, config).extra_fields == {"customfield_10120": "Deutsch"}
    del body["issue"]["fields"]["customfield_10120"]
    assert "customfield_10120" in extract_facts(body, config).missing


@pytest.mark.parametrize("value, name, ident", [
    ({"requestType": {"id": "12", "name": "Report a production outage"}}, "Report a production outage", "12"),
    ("ps/report-outage", "ps/report-outage", "ps/report-outage"),  # Data Center's portal-key/request-type-key
    (None, None, None),
])
def test_request_type_shapes(value, name, ident):
    body = payload("cloud-entitled-l1.json")
    body["issue"]["fields"]["customfield_10010"] = value
    facts = extract_facts(body, shipped())
    assert (facts.request_type_name, facts.request_type_id) == (name, ident)


@pytest.mark.parametrize("value, text", [
    ({"self": "x", "value": "Production", "id": "10201"}, "Production"),
    ({"name": "Highest", "id": "1"}, "Highest"),
    ([{"name": "10.3.2"}, {"name": "10.3.1"}], "10.3.2"),
    ("  SEN-1 ", "SEN-1"),
    ("   ", None),
    (12345678, "12345678"),
    (True, None),
    ({"id": "1"}, None),
])
def test_field_text(value, text):
    assert field_text(value) == text


@pytest.mark.parametrize("text, instant", [
    ("2026-11-26T10:00:00.000+0000", datetime(2026, 11, 26, 10, tzinfo=timezone.utc)),
    ("2026-04-25T18:35:13.605+0530", datetime(2026, 4, 25, 18, 35, 13, 605000, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
    ("2026-11-26T10:00:00Z", datetime(2026, 11, 26, 10, tzinfo=timezone.utc)),
])
def test_jira_timestamps(text, instant):
    assert parse_jira_datetime(text) == instant


@pytest.mark.parametrize("text", ["26/11/2026 10:00", "2026-11-26T10:00:00"])
def test_timestamps_without_an_offset_or_in_another_form_are_refused(text):
    with pytest.raises(ValueError, match="2026"):
        parse_jira_datetime(text)
