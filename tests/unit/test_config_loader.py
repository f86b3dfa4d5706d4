"""Mapping config validation: each error names the file, the line and the key, and all are reported.

The broken files are the shipped default with one edit each, so the expected line is the line of
that edit in the shipped text.
"""
from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from worker.config.values import BusinessDays
from worker.config import ConfigError, default_config_path, load_config, parse_config
from worker.config.values import parse_duration, parse_working_hours

SHIPPED = default_config_path().read_text()


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return lines[occurrence - 1]


def broken(tmp_path: Path, old: str, new: str, occurrence: int = 1) -> tuple[Path, str]:
    """The shipped file with the `occurrence`-th `old` replaced by `new`."""
    head, *tails = SHIPPED.split(old)
    assert len(tails) >= occurrence, f"{old!r} is not in the shipped file {occurrence} times"
    text = head + "".join((new if i == occurrence - 1 else old) + tail for i, tail in enumerate(tails))
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    return path, text


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(problem) for problem in caught.value.problems]


def test_the_shipped_config_is_valid():
    config = load_config(default_config_path())
    assert sorted(config.levels) == ["L1", "L2", "L3", "L4"]
    assert sorted(config.regions) == ["AMER", "APAC", "EMEA"]
    assert config.levels["L3"].target == BusinessDays(1)
    assert config.sla_policy().target_for("L3", "EMEA") == timedelta(hours=8)
    assert config.regions["EMEA"].hours == {day: ((time(9), time(17)),) for day in range(5)}
    assert [r.at for r in config.reminders] == [0.5, 0.75, 0.9, 1.0]
    assert len(config.version) == 12


def test_a_misspelt_key(tmp_path):
    path, text = broken(tmp_path, "    jira_priority: Medium", "    jira_priorty: Medium")
    line = line_of(text, "jira_priorty")
    # Only the misspelling is reported, not also the "missing" key it was meant to be.
    assert problems(path) == [
        f"{path}:{line}: levels.L3.jira_priorty: unknown key 'jira_priorty' (did you mean 'jira_priority'?)"]


def test_a_missing_key_is_reported_at_its_parent(tmp_path):
    path, text = broken(tmp_path, "    jira_priority: Medium\n", "")
    assert problems(path) == [
        f"{path}:{line_of(text, '  L3:')}: levels.L3.jira_priority: missing required key 'jira_priority'"]


def test_an_unknown_time_zone(tmp_path):
    path, text = broken(tmp_path, "zone: Europe/Amsterdam", "zone: Europe/Amsterdm")
    assert problems(path) == [
        f"{path}:{line_of(text, 'Europe/Amsterdm')}: regions.EMEA.zone: unknown time zone 'Europe/Amsterdm'"]


def test_a_missing_region(tmp_path):
    # Regions are referenced by the entitlement records; checking the config checks them too.
    from worker.entitlement.files import load_entitlements

    records = default_config_path().parent.joinpath("entitlements.yaml").read_text()
    path = tmp_path / "entitlements.yaml"
    path.write_text(records.replace("region: EMEA", "region: EMAE", 1))
    with pytest.raises(ConfigError) as caught:
        load_entitlements(path, frozenset(load_config(default_config_path()).regions))
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:{line_of(path.read_text(), 'EMAE')}: entitlements[0].region: unknown region 'EMAE' "
        "(the mapping config has AMER, APAC, EMEA)"]


def test_bad_yaml(tmp_path):
    path, text = broken(tmp_path, "  sen: customfield_10100", "  sen: [customfield_10100")
    assert problems(path) == [
        f"{path}:{line_of(text, 'severity: customfield_10101')}: invalid YAML: while parsing a flow sequence: "
        "expected ',' or ']', but got '<scalar>'"]


def test_an_unknown_calendar(tmp_path):
    path, text = broken(tmp_path, "calendar: regional", "calendar: regonal")
    assert problems(path) == [f"{path}:{line_of(text, 'regonal')}: levels.L3.calendar: unknown calendar 'regonal' "
                              "(expected 24x7, 24x5-global, regional)"]


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    path = tmp_path / "mapping.yaml"
    text = (SHIPPED.replace("calendar: regional", "calendar: regonal", 1)
            .replace("zone: Australia/Sydney", "zone: Australia/Sydny")
            .replace("  - at: 0.9", "  - at: 1.5")
            .replace("    default: L3", "    default: L3")
            .replace("  L4:\n", "  L4:\n    colour: red\n"))
    path.write_text(text)
    assert [p.split(": ", 2)[1] for p in problems(path)] == [
        "levels.L3.calendar", "levels.L4.colour", "regions.APAC.zone", "reminders[2].at"]


def test_cross_checks_are_all_reported(tmp_path):
    path = tmp_path / "mapping.yaml"
    text = (SHIPPED.replace("  default: L3", "  default: L7")
            .replace("hours: {mon-fri: \"09:00-17:00\"}", "hours: {}", 1)
            .replace("  - at: 0.9", "  - at: 0.75")
            .replace("    - category: on-site", "    - category: on-sight")
            .replace("    Crowd: {}", "    Crowd: {}\n    Jira Align: {}"))
    path.write_text(text)
    assert [p.removeprefix(f"{path}:") for p in problems(path)] == [
        f"{line_of(text, 'default: L7')}: severity.default: unknown level 'L7' (defined: L1, L2, L3, L4)",
        f"{line_of(text, 'hours: {}')}: regions.AMER.hours: region AMER has no working time, "
        "so its calendar would never open",
        f"{line_of(text, 'at: 0.75', 2)}: reminders[2].at: threshold 0.75 is given more than once",
        f"{line_of(text, 'on-sight')}: out_of_scope.rules[5].category: unknown category 'on-sight' "
        "(defined: advisory, customised-code, development, feature-or-bug-request, non-english, on-site, "
        "professional-services, remote-administration, third-party, training)",
        f"{line_of(text, 'Jira Align')}: products.bundled['Jira Align']: bundled product 'Jira Align' "
        "is not in products.covered",
    ]


@pytest.mark.parametrize("old, new, path, message", [
    ("target: 2h", "target: 2 hours", "levels.L2.target",
     "expected a duration such as '1h' or '1h30m', or business days such as '1 business day', got '2 hours'"),
    ("  - at: 0.5", "  - at: 0", "reminders[0].at", "a reminder threshold is a fraction of the target in (0, 1], got 0.0"),
    ("holidays: {country: NL}", "holidays: {country: XX}", "regions.EMEA.holidays",
     "unknown holiday country 'XX' (python-holidays codes such as US, NL, AU)"),
    ("{country: US, subdivision: CA}", "{country: US, subdivision: ZZ}", "regions.AMER.holidays",
     "unknown subdivision 'ZZ' of US"),
    ('hours: {mon-fri: "09:00-17:00"}', 'hours: {mon-fry: "09:00-17:00"}', "regions.AMER.hours",
     "unknown day 'mon-fry' (use mon..sun or a range such as mon-fri)"),
    ('hours: {mon-fri: "09:00-17:00"}', 'hours: {mon-fri: "17:00-09:00"}', "regions.AMER.hours",
     "mon-fri: working hours '17:00-09:00' end before they start"),
    ("      \"8.20\": 2024-01-30", "      8.20: 2024-01-30", "releases.end_of_life['Jira Software'][8.2]",
     "expected text, got the number 8.2: quote it"),
    ("label: ps-l2", "label: ps l2", "levels.L2.label", "a Jira label is one word without spaces, got 'ps l2'"),
    ("  - at: 0.5\n", "  - at: 0.5\n    labels: [ps-half]\n    mention_duty_manager: yes please\n",
     "reminders[0].mention_duty_manager", "expected true or false, got 'yes please'"),
    ("{percent} of the {level} initial", "{percentage} of the {level} initial", "reminders[0].comment",
     "unknown placeholder {percentage}"),
    ("  L1:\n", "  Level1:\n", "levels.Level1", "expected a level such as L1, got 'Level1'"),
    ("    - '(?i)snapshot'", "    - '(?i)snapshot('", "releases.pre_release_patterns[4]",
     "pattern '(?i)snapshot(' is not a regular expression"),
    ("  source: file", "  source: filesystem", "entitlement.source",
     "unknown entitlement source 'filesystem' (expected file, assets)"),
    ("  sen: customfield_10100", "  sen: custom field 10100", "fields.sen",
     "expected a Jira field id such as customfield_10100 or summary, got 'custom field 10100'"),
])
def test_field_errors_in_words(tmp_path, old, new, path, message):
    file, text = broken(tmp_path, old, new)
    found = problems(file)
    assert len(found) == 1, found
    where, key, said = found[0].split(": ", 2)
    assert key == path and said.startswith(message)
    assert where == f"{file}:{line_of(text, new.strip().splitlines()[-1])}"


def test_a_duplicate_key(tmp_path):
    path, text = broken(tmp_path, "    label: ps-l4\n", "    label: ps-l4\n    target: 20h\n")
    assert problems(path) == [f"{path}:{line_of(text, 'target: 20h')}: levels.L4.target: key 'target' is given "
                              "more than once"]


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("- just\n- a list\n", "expected a mapping of keys to values, got a list"),
])
def test_files_that_are_not_a_config(tmp_path, text, message):
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    assert problems(path)[0].endswith(message)


def test_an_unreadable_file(tmp_path):
    assert problems(tmp_path / "absent.yaml")[0].startswith(f"{tmp_path / 'absent.yaml'}: cannot read the file")


def test_the_version_follows_content_not_layout():
    shipped = load_config(default_config_path())
    reformatted = parse_config("# a comment\n" + SHIPPED.replace("  default: L3", "  default:    L3  # here"))
    assert reformatted.version == shipped.version
    changed = parse_config(SHIPPED.replace("target: 2h", "target: 3h"))
    assert changed.version != shipped.version


def test_a_changed_copy_does_not_keep_the_old_version_or_calendars():
    shipped = load_config(default_config_path())
    shipped.sla_policy()
    copy = shipped.model_copy(update={"reminders": ()})
    assert copy.version != shipped.version
    assert copy.sla_policy().thresholds == () and shipped.sla_policy().thresholds == (0.5, 0.75, 0.9)


def test_relative_paths_are_taken_from_the_config_file(tmp_path):
    (tmp_path / "mapping.yaml").write_text(SHIPPED)
    config = load_config(tmp_path / "mapping.yaml")
    assert config.resolve(config.entitlement.path) == (tmp_path / "entitlements.yaml").resolve()


def test_merge_keys_and_anchors_work():
    text = SHIPPED.replace('    hours: {mon-fri: "09:00-17:00"}\n    phone: "+1 555 0100"',
                           '    hours: &office {mon-fri: "09:00-17:00"}\n    phone: "+1 555 0100"', 1)
    text = text.replace('    hours: {mon-fri: "09:00-17:00"}\n    phone: "+31', '    hours: *office\n    phone: "+31')
    assert parse_config(text).regions["EMEA"].hours == load_config(default_config_path()).regions["EMEA"].hours


@pytest.mark.parametrize("text, minutes", [("1h", 60), ("30m", 30), ("1h30m", 90), ("2h 15m", 135), ("90s", 1.5)])
def test_durations(text, minutes):
    assert parse_duration(text) == timedelta(minutes=minutes)


def test_working_hours_with_several_spans_and_midnight():
    assert parse_working_hours({"mon-tue": ["13:00-24:00", "08:00-12:00"], "sat": []}) == {
        0: ((time(8), time(12)), (time(13), time(0))), 1: ((time(8), time(12)), (time(13), time(0)))}
    with pytest.raises(ValueError, match="overlap"):
        parse_working_hours({"mon": ["08:00-12:00", "11:00-13:00"]})
    with pytest.raises(ValueError, match="mon is given more than once"):
        parse_working_hours({"mon-fri": "09:00-17:00", "mon": "18:00-20:00"})


@pytest.mark.parametrize("text, line, message", [
    ("levels:\n  L1: \x00\x01\x02", 2, "invalid YAML: special characters are not allowed (U+0000): is this a text file?"),
    ("[" * 5000 + "]" * 5000, None, "invalid YAML: nested too deeply to read"),
    ("a:\n" + "".join("  " * n + "- \n" for n in range(1, 3000)), None, "invalid YAML: nested too deeply to read"),
])
def test_a_binary_or_absurdly_nested_file_is_one_clear_problem(text, line, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, name="hostile.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("hostile.yaml", line) and problem.message.startswith(message)
