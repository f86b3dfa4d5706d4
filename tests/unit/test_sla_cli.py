"""`psw sla due`, through click's test runner."""
from __future__ import annotations

import json

from click.testing import CliRunner

from worker.cli.sla import command

FRIDAY_1630_LA = "2025-03-07T16:30:00-08:00"
L2_DUE = {"due": "2025-03-10T00:30:00Z",  # Monday 11:30 Sydney (AEDT)
          "reminders": {"0.5": "2025-03-09T23:30:00Z", "0.75": "2025-03-10T00:00:00Z", "0.9": "2025-03-10T00:18:00Z"}}


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(command, ["due", *args], input=stdin)


def test_one_request_from_flags():
    result = run("--level", "L2", "--region", "EMEA", "--created", FRIDAY_1630_LA)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == L2_DUE


def test_jira_timestamps_and_per_customer_zones_are_accepted():
    result = run("--level", "L3", "--region", "EMEA", "--created", "2025-06-10T08:00:00.000+0000",
                 "--zone", "Europe/London")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["due"] == "2025-06-10T16:00:00Z"


def test_flag_mode_errors_are_usage_errors():
    for args, message in [
        (("--level", "L2", "--region", "EMEA"), "missing --created"),
        (("--level", "L9", "--region", "EMEA", "--created", FRIDAY_1630_LA), "unknown level 'L9'"),
        (("--level", "L2", "--region", "XX", "--created", FRIDAY_1630_LA), "unknown region 'XX'"),
        (("--level", "L2", "--region", "EMEA", "--created", "2025-03-07T16:30"), "has no UTC offset"),
        (("--level", "L2", "--region", "EMEA", "--created", "friday"), "'friday' is not an ISO 8601"),
    ]:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)


def test_json_lines_in_json_lines_out_and_bad_lines_are_named():
    lines = [
        json.dumps({"level": "L2", "region": "EMEA", "created": FRIDAY_1630_LA}),
        json.dumps({"level": "L3", "region": "XX", "created": FRIDAY_1630_LA}),
        "{not json",
        "",
        json.dumps({"level": "L1", "region": "APAC", "created": "2025-03-09T01:30:00-08:00", "key": "PS-7"}),
        json.dumps(["L1", "APAC"]),
        json.dumps({"level": "L1", "region": "APAC"}),
        json.dumps({"level": 1, "region": "APAC", "created": FRIDAY_1630_LA}),
        json.dumps({"level": "L4", "region": "AMER", "created": "2025-11-26T16:59:00-08:00"}),
    ]
    result = run(stdin="\n".join(lines) + "\n")
    assert result.exit_code == 1
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"line": 1, **L2_DUE},
        {"line": 5, "due": "2025-03-09T10:30:00Z",  # 24x7 across the spring-forward: 03:30 PDT
         "reminders": {"0.5": "2025-03-09T10:00:00Z", "0.75": "2025-03-09T10:15:00Z", "0.9": "2025-03-09T10:24:00Z"}},
        {"line": 9, "due": "2025-12-03T00:59:00Z",  # Thanksgiving and the day after are holidays
         "reminders": {"0.5": "2025-12-02T00:59:00Z", "0.75": "2025-12-02T20:59:00Z", "0.9": "2025-12-02T23:23:00Z"}},
    ]
    assert result.stderr.splitlines() == [
        "line 2: unknown region 'XX'; known: AMER, APAC, EMEA",
        "line 3: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        "line 6: expected a JSON object, got list",
        "line 7: missing 'created'",
        "line 8: 'level' must be a string, got 1",
    ]


def test_all_good_lines_exit_zero():
    result = run(stdin=json.dumps({"level": "L2", "region": "EMEA", "created": FRIDAY_1630_LA}) + "\n")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_a_per_customer_holiday_calendar():
    # Cesar Chavez Day (Tue 31 March 2026) closes AMER (California), not a customer in New York.
    flags = ["--level", "L3", "--region", "AMER", "--created", "2026-03-30T16:00:00-04:00", "--zone", "America/New_York"]
    assert json.loads(run(*flags).output)["due"] == "2026-04-01T20:00:00Z"
    assert json.loads(run(*flags, "--holidays", "US-NY").output)["due"] == "2026-03-31T20:00:00Z"
    line = json.dumps({"level": "L3", "region": "AMER", "created": "2026-03-30T16:00:00-04:00",
                       "zone": "America/New_York", "holidays": "US-NY"})
    assert json.loads(run(stdin=line + "\n").output)["due"] == "2026-03-31T20:00:00Z"
    bad = run(*flags, "--holidays", "US-XX")
    assert bad.exit_code == 2 and "unknown subdivision 'XX' of US" in bad.output
