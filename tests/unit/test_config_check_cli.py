"""`psw config check FILE`: exit 0 for a valid file, else 1 with every problem printed."""
from __future__ import annotations

import shutil

from click.testing import CliRunner

from worker.cli.config import command
from worker.config import default_config_path, load_config

SHIPPED = default_config_path().read_text()


def run(*args: str):
    return CliRunner().invoke(command, ["check", *map(str, args)])


def test_the_shipped_file_passes():
    result = run(default_config_path())
    assert result.exit_code == 0, result.output
    version = load_config(default_config_path()).version
    assert result.output.startswith(f"{default_config_path()}: OK, version {version}: 4 levels, 3 regions, "
                                    "4 reminders, entitlement source file")
    assert "entitlements.yaml: 9 records" in result.output


def test_every_problem_is_printed_and_the_exit_code_is_1(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text(SHIPPED.replace("calendar: regional", "calendar: regonal", 1)
                    .replace("zone: Europe/Amsterdam", "zone: Europe/Amsterdm"))
    result = run(path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{path}:") and "levels.L3.calendar: unknown calendar 'regonal'" in lines[0]
    assert "regions.EMEA.zone: unknown time zone 'Europe/Amsterdm'" in lines[1]
    assert lines[2] == "2 problems found"


def test_the_entitlement_file_the_config_names_is_checked_too(tmp_path):
    shutil.copy(default_config_path(), tmp_path / "mapping.yaml")
    (tmp_path / "entitlements.yaml").write_text(
        "entitlements:\n  - sen: SEN-10000001\n    customer: A\n    region: EMEA\n    deployment: data-center\n"
        "    products: [Jira Software]\n    maintenance_end: 2027-13-01\n")
    result = run(tmp_path / "mapping.yaml")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{tmp_path / 'entitlements.yaml'}:7: entitlements[0].maintenance_end: "
        "expected a date such as 2026-01-31, got '2027-13-01'",
        "1 problem found",
    ]


def test_a_missing_file(tmp_path):
    result = run(tmp_path / "nope.yaml")
    assert result.exit_code == 1
    assert result.output.startswith(f"{tmp_path / 'nope.yaml'}: cannot read the file")


def test_routing_problems_are_reported_with_their_lines(tmp_path):
    path = tmp_path / "mapping.yaml"
    shutil.copy(default_config_path().parent / "entitlements.yaml", tmp_path)
    path.write_text(SHIPPED.replace("    APAC:\n      team: Priority Support APAC", "    APCA:\n      team: Priority Support APAC")
                    .replace("  weekend: [L1]", "  weekend: [L1, L3]"))
    result = run(path)
    assert result.exit_code == 1
    weekend = SHIPPED.splitlines().index("routing:") + 1
    assert f"{path}:{weekend}: routing: weekend: L3 must also be in follow_the_sun" in result.output
    path.write_text(SHIPPED.replace("    APAC:\n      team: Priority Support APAC", "    APCA:\n      team: Priority Support APAC")
                    .replace('      shifts: {mon-fri: "08:00-17:00"}', '      shifts: {mon-fri: "17:00-08:00"}', 1))
    lines = run(path).output.splitlines()
    amer_shifts = SHIPPED.splitlines().index('      shifts: {mon-fri: "08:00-17:00"}') + 1
    assert lines[0] == (f"{path}:{amer_shifts}: routing.regions.AMER.shifts: "
                        "mon-fri: working hours '17:00-08:00' end before they start")
    path.write_text(SHIPPED.replace("    APAC:\n      team: Priority Support APAC", "    APCA:\n      team: Priority Support APAC"))
    lines = run(path).output.splitlines()
    apca = SHIPPED.splitlines().index("    APAC:", SHIPPED.splitlines().index("routing:")) + 1
    assert f"{path}:{apca}: routing.regions.APCA: unknown region 'APCA' (regions: AMER, APAC, EMEA)" in lines
    assert any("routing.regions: region APAC has no Priority Support team" in line for line in lines), lines
    assert lines[-1] == "2 problems found"


def test_a_team_with_no_shift_is_refused(tmp_path):
    path = tmp_path / "mapping.yaml"
    shutil.copy(default_config_path().parent / "entitlements.yaml", tmp_path)
    path.write_text(SHIPPED.replace('      shifts: {mon-fri: "10:00-18:00"}', "      shifts: {}"))
    result = run(path)
    assert result.exit_code == 1
    assert "routing.regions.APAC: shifts: at least one day with hours" in result.output
