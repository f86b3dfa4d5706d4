"""`psw explain` and `psw sla due` on hostile or odd input: an error line naming it, no traceback."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from worker.cli.explain import command as explain_command
from worker.cli.sla import command as sla_command

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"


def explain(path: Path, *args: str):
    return CliRunner(env={"MAPPING_CONFIG": None}).invoke(explain_command, [str(path), *args])


def with_created(tmp_path: Path, created: str) -> Path:
    body = json.loads((PAYLOADS / "cloud-entitled-l1.json").read_text())
    body["issue"]["fields"]["created"] = created
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    return path


@pytest.mark.parametrize("created", ["0001-01-01T00:00:00.000+0100", "9999-12-31T23:00:00.000-0100"])
def test_explain_of_a_request_created_in_year_1_or_9999_is_an_error_line(tmp_path, created):
    result = explain(with_created(tmp_path, created), "--now", "2026-11-26T10:05:00Z")
    assert result.exit_code == 1
    assert "outside the years 1970-2999" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_explain_of_json_nested_a_thousand_deep_is_an_error_line(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 1000 + "]" * 1000)
    result = explain(path)
    assert result.exit_code == 1
    assert "nests deeper than 64 levels" in result.output
    assert "Traceback" not in result.output


def test_explain_now_in_year_9999_is_a_usage_error():
    result = explain(PAYLOADS / "cloud-entitled-l1.json", "--now", "9999-12-31T23:59:59-01:00")
    assert result.exit_code == 2
    assert "outside the years 1970-2999" in result.output


def test_sla_due_answers_the_lines_after_one_in_year_9999():
    lines = [{"level": "L2", "region": "EMEA", "created": "2025-03-07T16:30:00-08:00"},
             {"level": "L4", "region": "EMEA", "created": "9999-12-31T00:00:00Z"},
             {"level": "L2", "region": "EMEA", "created": "0001-01-01T00:00:00+01:00"},
             {"level": "L2", "region": "EMEA", "created": "2025-03-07T16:30:00-08:00"}]
    result = CliRunner().invoke(sla_command, ["due"], input="".join(json.dumps(line) + "\n" for line in lines))
    assert result.exit_code == 1
    assert [json.loads(out)["line"] for out in result.stdout.splitlines()] == [1, 4]
    assert result.stderr.splitlines() == [
        "line 2: created 9999-12-31T00:00:00+00:00 is outside the years 1970-2999",
        "line 3: created 0001-01-01T00:00:00+01:00 is outside the years 1970-2999",
    ]
