"""`psw jira fields` against the simulator's field catalogue, and `psw audit` from Redis."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from jirasim.simulator import JiraSimulator
from worker.audit import AuditTrail
from worker.cli import audit, jira


@pytest.fixture
def site(monkeypatch):
    with JiraSimulator() as sim:
        monkeypatch.setenv("JIRA_URL", sim.url)
        monkeypatch.setenv("JIRA_EMAIL", "psw@example.com")
        monkeypatch.setenv("JIRA_API_TOKEN", "cli-token")
        monkeypatch.delenv("MAPPING_CONFIG", raising=False)
        yield sim


def test_fields_lists_the_site_and_marks_what_the_config_uses(site):
    result = CliRunner().invoke(jira.command, ["fields"])
    assert result.exit_code == 0, result.stderr
    [sen] = [line for line in result.output.splitlines() if line.startswith("customfield_10100")]
    assert "SEN" in sen and "<- fields.sen" in sen
    [due] = [line for line in result.output.splitlines() if line.startswith("customfield_10111")]
    assert "write_fields.due" in due


def test_fields_names_config_entries_that_point_at_nothing(site, config_file):
    config_file.write_text(config_file.read_text().replace("sen: customfield_10100", "sen: customfield_19999"))
    result = CliRunner().invoke(jira.command, ["fields", "--config", str(config_file)])
    assert result.exit_code == 1
    assert "config fields.sen points at customfield_19999, which this site does not have" in result.stderr


def test_fields_without_a_site_says_what_to_set(monkeypatch):
    monkeypatch.delenv("JIRA_URL", raising=False)
    result = CliRunner().invoke(jira.command, ["fields"])
    assert result.exit_code == 1
    assert "JIRA_URL" in result.stderr


def test_audit_prints_the_trail(redis_url, redis_client, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)
    AuditTrail(redis_client).record("PS-9", "triage", outcome="written", delivery="d-9", calls=["edit_issue:ok"])
    result = CliRunner().invoke(audit.command, ["PS-9"])
    assert result.exit_code == 0
    assert "triage" in result.output and "written" in result.output and "edit_issue:ok" in result.output
    assert "no audit entries" in CliRunner().invoke(audit.command, ["PS-10"]).output
