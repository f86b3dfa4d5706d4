"""Issue 12, "Config for admins" and "Seed limitations": what `psw config check` and
`psw entitlements check` tell an admin, each with the issue's reproduction.

- a copy of mapping.yaml in another folder failed on its relative entitlement path with no line;
- an entitlement file could not be checked on its own;
- errors came in stages (field errors first, cross-checks only after those were fixed);
- `psw config check` did not warn about a category with no rule.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from worker.cli.config import command as config_command
from worker.cli.entitlements import command as entitlements_command
from worker.config import ConfigError, default_config_path, load_config, parse_config
from worker.entitlement.sources import EntitlementSourceUnavailable, source_from_config
from worker.explain import ExplainError, explain

SHIPPED = default_config_path().read_text()
ENTITLEMENTS = default_config_path().parent / "entitlements.yaml"


def config_check(path):
    return CliRunner().invoke(config_command, ["check", str(path)])


def entitlements_check(*args):
    return CliRunner().invoke(entitlements_command, ["check", *map(str, args)])


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_copy_in_another_folder_names_the_mapping_line_of_its_missing_entitlement_file(tmp_path):
    copy = tmp_path / "site" / "mapping.yaml"
    copy.parent.mkdir()
    copy.write_text(SHIPPED)
    result = config_check(copy)
    assert result.exit_code == 1
    line = line_of(SHIPPED, "path: entitlements.yaml")
    assert (f"{copy}:{line}: entitlement.path: no entitlement file at {copy.parent / 'entitlements.yaml'} "
            f"(a relative path is taken from the mapping file's folder, {copy.parent})") in result.output
    # explain and the worker's source name the same line.
    with pytest.raises(ExplainError, match=f"{copy}:{line}: entitlement.path: no entitlement file"):
        explain({"issue": {"key": "PS-1", "fields": {"created": "2026-11-26T10:00:00.000+0000",
                                                      "customfield_10100": "SEN-10000001"}}},
                load_config(copy), datetime.now(timezone.utc))
    with pytest.raises(EntitlementSourceUnavailable, match=f"named at {copy}:{line}: entitlement.path"):
        source_from_config(load_config(copy)).lookup("SEN-10000001")


def test_the_relative_path_is_taken_from_the_mapping_folder_whatever_the_working_directory(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "mapping.yaml").write_text(SHIPPED)
    shutil.copy(ENTITLEMENTS, site / "entitlements.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = config_check(os.path.relpath(site / "mapping.yaml"))
    assert result.exit_code == 0, result.output
    assert f"({site / 'entitlements.yaml'}: 9 records)" in result.output


def test_field_errors_cross_checks_and_the_entitlement_file_come_in_one_report(tmp_path):
    broken = (SHIPPED
              .replace("calendar: regional", "calendar: regonal", 1)  # a field error
              .replace("    Bamboo: {min_remote_agents: 100}", "    Bamboo: {min_remote_agents: 100}\n    Jira Align: {}")  # cross-check
              .replace("  - at: 0.75", "  - at: 0.5", 1))  # cross-check: the threshold twice
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(broken)
    (tmp_path / "entitlements.yaml").write_text(
        ENTITLEMENTS.read_text().replace("region: EMEA", "region: MARS", 1))  # the other file's problem
    result = config_check(mapping)
    assert result.exit_code == 1
    out = result.output
    assert f"{mapping}:{line_of(broken, 'calendar: regonal')}: levels.L3.calendar: unknown calendar 'regonal'" in out
    assert f"{mapping}:{line_of(broken, 'Jira Align')}: products.bundled['Jira Align']: bundled product" in out
    assert f"reminders[1].at: threshold 0.5 is given more than once" in out
    assert f"{tmp_path / 'entitlements.yaml'}:" in out and "unknown region 'MARS'" in out
    assert out.splitlines()[-1] == "4 problems found"


def test_the_loader_reports_cross_checks_beside_field_errors():
    broken = SHIPPED.replace("zone: Europe/Amsterdam", "zone: Europe/Amsterdm").replace(
        "non_production_cap: L3", "non_production_cap: L7")
    with pytest.raises(ConfigError) as caught:
        parse_config(broken, name="m.yaml")
    messages = [p.message for p in caught.value.problems]
    assert "unknown time zone 'Europe/Amsterdm'" in messages
    # levels and environments are valid on their own, so the level reference is checked too
    assert "unknown level 'L7' (defined: L1, L2, L3, L4)" in messages


def test_a_category_with_no_rule_is_warned_about_and_still_passes(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    start = SHIPPED.index("    # A build of the product whose code was changed")
    end = SHIPPED.index("# End of Life, Beta")
    mapping.write_text(SHIPPED[:start] + "\n" + SHIPPED[end:])  # the shipped file before issue 12
    shutil.copy(ENTITLEMENTS, tmp_path / "entitlements.yaml")
    result = config_check(mapping)
    assert result.exit_code == 0, result.output
    text = mapping.read_text()
    for category in ("customised-code", "non-english"):
        assert (f"{mapping}:{line_of(text, f'    {category}:')}: out_of_scope.categories.{category}: warning: "
                f"category {category!r} has no rule, so no request is ever found to be {category}") in result.output


def test_the_shipped_file_has_a_rule_for_every_category():
    result = config_check(default_config_path())
    assert result.exit_code == 0 and "warning" not in result.output


def test_an_entitlement_file_is_checked_on_its_own(tmp_path):
    good = entitlements_check(ENTITLEMENTS)
    assert good.exit_code == 0, good.output
    assert good.output == f"{ENTITLEMENTS}: OK, 9 records, regions AMER, APAC, EMEA\n"
    text = ENTITLEMENTS.read_text()
    bad = (text.replace("region: EMEA", "region: MARS", 1)
               .replace("maintenance_end: 2027-", "maintenance_end: 2027-13-", 1))
    path = tmp_path / "records.yaml"
    path.write_text(bad)
    result = entitlements_check(path)
    assert result.exit_code == 1
    assert f"{path}:{line_of(bad, 'region: MARS')}: entitlements[0].region: unknown region 'MARS'" in result.output
    assert f"{path}:{line_of(bad, 'maintenance_end: 2027-13-')}: entitlements[0].maintenance_end:" in result.output
    assert result.output.splitlines()[-1] == "2 problems found"


def test_a_csv_entitlement_file_names_row_and_column(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("sen,customer,region,deployment,products,maintenance_end,admins\n"
                    "SEN-30000001,Acme,EMEA,data-center,Confluence,2027-12-31,a@acme.example\n"
                    "SEN-30000002,Acme,EMEA,mainframe,Confluence,2027-12-31,a@acme.example\n")
    result = entitlements_check(path)
    assert result.exit_code == 1
    assert f"{path}:3: deployment: unknown deployment 'mainframe'" in result.output


def test_entitlements_check_uses_the_given_configs_regions(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(SHIPPED.replace("  APAC:\n", "  MARS:\n"))
    shutil.copy(ENTITLEMENTS, tmp_path / "entitlements.yaml")
    result = entitlements_check(ENTITLEMENTS, "--config", mapping)
    assert result.exit_code == 1 and "unknown region 'APAC' (the mapping config has AMER, EMEA, MARS)" in result.output


def test_a_missing_entitlement_file(tmp_path):
    result = entitlements_check(tmp_path / "nope.yaml")
    assert result.exit_code == 1 and "nope.yaml: cannot read the file" in result.output


def test_a_repeated_key_comes_in_the_same_report_as_field_errors():
    broken = SHIPPED.replace("calendar: regional", "calendar: regonal", 1).replace(
        "  not_entitled: ps-not-entitled\n", "  not_entitled: ps-not-entitled\n  not_entitled: again\n")
    with pytest.raises(ConfigError) as caught:
        parse_config(broken, name="m.yaml")
    messages = [p.message for p in caught.value.problems]
    assert "key 'not_entitled' is given more than once" in messages
    assert "unknown calendar 'regonal' (expected 24x7, 24x5-global, regional)" in messages
