"""`psw explain PAYLOAD.json` on the sample webhook bodies: the decisions a person would expect."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from worker.cli.explain import command
from worker.config import default_config_path, load_config

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
NOW = "2026-11-26T10:05:00Z"
VERSION = load_config(default_config_path()).version


def explain(*args: str, env: dict[str, str] | None = None):
    result = CliRunner(env={"MAPPING_CONFIG": None, **(env or {})}).invoke(command, [*map(str, args)])
    return result


def decision_json(name: str, *extra: str) -> dict:
    result = explain(PAYLOADS / name, "--now", NOW, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_entitled_l1_with_its_phone_number():
    result = explain(PAYLOADS / "cloud-entitled-l1.json", "--now", NOW)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "PS-101: ENTITLED, level L1 (Production application down)"
    assert "  due            2026-11-26 12:00 CET (Europe/Amsterdam), 2026-11-26 11:00 UTC" in lines
    assert "  jira priority  Highest" in lines
    assert ("  reminders      50% 2026-11-26 10:30 UTC, 75% 2026-11-26 10:45 UTC, 90% 2026-11-26 10:54 UTC, "
            "100% 2026-11-26 11:00 UTC (still to fire)") in lines
    assert "  | L1 phone support: the EMEA Priority Support line is +31 20 555 0100 (its office is on shift when it was raised)." in lines
    assert f"  config         version {VERSION} ({default_config_path()})" in lines


def test_entitled_l1_as_json():
    data = decision_json("cloud-entitled-l1.json")
    assert (data["entitled"], data["level"], data["jira_priority"], data["sen"]) == (True, "L1", "Highest", "SEN-10000001")
    assert data["labels_add"] == ["priority-support", "ps-l1"]
    assert data["fields"] == {"customfield_10110": "L1", "customfield_10111": "2026-11-26T11:00:00.000+0000",
                              "customfield_10112": "entitled"}
    assert [r["at"] for r in data["reminders"]] == [0.5, 0.75, 0.9, 1.0]
    assert data["pending_reminders"] == data["reminders"]  # at 10:05 none has passed yet
    assert data["decided_at"] == "2026-11-26T10:05:00+00:00" and data["missing_facts"] == []
    assert data["config_version"] == VERSION


def test_not_entitled_because_maintenance_expired():
    result = explain(PAYLOADS / "dc-maintenance-expired.json", "--now", NOW)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "PS-102: NOT ENTITLED (MAINTENANCE_EXPIRED)"
    assert ("  reason    MAINTENANCE_EXPIRED: maintenance for SEN-10000003 ended on 2026-03-31, before the request "
            "was created (2026-11-26)") in lines
    assert "  | Priority Support triage: NOT ENTITLED. This request stays with the standard support process; " \
           "no Priority Support SLA is set." in lines
    data = decision_json("dc-maintenance-expired.json")
    assert (data["entitled"], data["level"], data["due"], data["jira_priority"]) == (False, None, None, None)
    assert data["labels_add"] == ["ps-not-entitled", "ps-reason-maintenance_expired"]


def test_not_entitled_because_out_of_scope():
    data = decision_json("cloud-out-of-scope.json")
    assert [r["code"] for r in data["reasons"]] == ["OUT_OF_SCOPE"]
    assert data["reasons"][0]["detail"] == ("the request type 'Request product training' means product training, "
                                            "which Priority Support does not include")
    assert data["fields"] == {"customfield_10110": None, "customfield_10111": None, "customfield_10112": None}


def test_non_production_is_capped():
    result = explain(PAYLOADS / "dc-non-production-capped.json", "--now", NOW)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "PS-104: ENTITLED, level L3 (Moderate impact)"
    assert "  capped         L1 is for production impact and the environment is 'Staging', so it is handled as L3" in lines
    data = decision_json("dc-non-production-capped.json")
    assert (data["requested_level"], data["level"], data["jira_priority"], data["due"]) == (
        "L1", "L3", "Medium", "2026-11-27T10:00:00Z")
    assert "phone" not in data["comment"]


def test_another_entitlement_file_and_config(tmp_path):
    records = tmp_path / "records.csv"
    records.write_text("sen,customer,region,deployment,products,maintenance_end,admins\n"
                       "SEN-10000001,Globex Subsidiary,APAC,data-center,Jira Software,2027-01-01,"
                       "557058:11111111-aaaa-4bbb-8ccc-000000000001\n")
    config = tmp_path / "mapping.yaml"
    shutil.copy(default_config_path(), config)
    config.write_text(config.read_text().replace('phone: "+61 2 5550 0100"', 'phone: "+61 2 5550 0199"'))
    data = decision_json("cloud-entitled-l1.json", "--entitlements", str(records), "--config", str(config))
    assert (data["customer"], data["region"]) == ("Globex Subsidiary", "APAC")
    assert "the APAC Priority Support line is +61 2 5550 0199" in data["comment"]
    assert data["config_version"] != VERSION


def test_the_config_comes_from_mapping_config_when_not_given(tmp_path):
    config = tmp_path / "mapping.yaml"
    config.write_text(default_config_path().read_text().replace("target: 1h", "target: 45m"))
    shutil.copy(default_config_path().parent / "entitlements.yaml", tmp_path / "entitlements.yaml")
    result = explain(PAYLOADS / "cloud-entitled-l1.json", "--now", NOW, "--json", env={"MAPPING_CONFIG": str(config)})
    assert json.loads(result.output)["due"] == "2026-11-26T10:45:00Z"


def test_facts_the_body_lacks_are_pointed_out(tmp_path):
    body = json.loads((PAYLOADS / "cloud-entitled-l1.json").read_text())
    del body["issue"]["fields"]["customfield_10104"]
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    result = explain(path, "--now", NOW)
    assert "the body lacks environment; the worker would read the issue" in result.output


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not a JSON file"),
    ('{"webhookEvent": "comment_created", "comment": {}}', "has no issue with fields"),
    ('{"issue": {"key": "PS-9", "fields": {"created": null}}}', "PS-9: cannot decide without the creation time"),
    ('{"issue": {"key": "PS-9", "fields": {"created": "yesterday"}}}', "'yesterday' is not a Jira timestamp"),
])
def test_bodies_that_cannot_be_explained(tmp_path, content, message):
    path = tmp_path / "body.json"
    path.write_text(content)
    result = explain(path, "--now", NOW)
    assert result.exit_code == 1
    assert message in result.output


def test_a_bad_now():
    result = explain(PAYLOADS / "cloud-entitled-l1.json", "--now", "2026-11-26T10:05:00")
    assert result.exit_code == 2
    assert "give a UTC offset" in result.output


def test_an_assets_config_needs_an_entitlement_file(tmp_path):
    config = tmp_path / "mapping.yaml"
    config.write_text(default_config_path().read_text().replace(
        "  source: file\n  path: entitlements.yaml",
        "  source: assets\n  aql: 'objectType = \"Entitlement\" AND SEN = \"{sen}\"'"))
    result = explain(PAYLOADS / "cloud-entitled-l1.json", "--config", str(config), "--now", NOW)
    assert result.exit_code == 1
    assert "pass --entitlements FILE" in result.output


def test_cannot_decide_as_the_readme_shows_it():
    # The README's explain section shows this output; every line but the config version is checked
    # against it, so the README cannot drift from what psw explain prints.
    result = explain(PAYLOADS / "cloud-cannot-decide.json", "--config", default_config_path(),
                     "--now", "2026-11-26T11:01:00Z")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "PS-106: CANNOT DECIDE (REPORTER_UNVERIFIED, RELEASE_UNJUDGED)"
    assert "NOT ENTITLED" not in result.output and "REPORTER_NOT_ADMIN:" not in result.output
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    shown = readme.split("$ .venv/bin/psw explain tests/fixtures/payloads/cloud-cannot-decide.json", 1)[1]
    shown = shown.split("\n", 1)[1].split("```", 1)[0].splitlines()
    unstable = ("  config ", "  | (mapping config version ")
    assert [line for line in shown if not line.startswith(unstable)] == \
        [line for line in lines if not line.startswith(unstable)]
