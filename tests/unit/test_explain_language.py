"""`psw explain` on a request written in German: out of scope, as the seed's "Non-English
language support" limitation says (issue 12, "Seed limitations"); the README shows this output."""
from __future__ import annotations

import json
from pathlib import Path

from datetime import datetime, timezone

from click.testing import CliRunner

from worker.cli.explain import command
from worker.config import default_config_path, load_config
from worker.explain import explain as explain_body

PAYLOAD = Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "cloud-non-english.json"


def explain(*args: str):
    return CliRunner(env={"MAPPING_CONFIG": None}).invoke(command, [str(PAYLOAD), "--now", "2026-11-26T10:05:00Z", *args])


def test_a_german_request_is_explained_as_out_of_scope():
    result = explain()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "PS-105: NOT ENTITLED (OUT_OF_SCOPE)"
    assert ("  reason    OUT_OF_SCOPE: the request is written in German, not English (confidence 1.00) means "
            "support in a language other than English, which Priority Support does not include") in lines
    assert "  labels    add ps-not-entitled, ps-reason-out_of_scope; remove priority-support, ps-l1, " in result.output


def test_the_same_request_in_english_is_entitled():
    body = json.loads(PAYLOAD.read_text())
    body["issue"]["fields"]["summary"] = "Jira is down for every user"
    body["issue"]["fields"]["description"] = ("Since this morning's restart no user can log in; the start page "
                                              "shows only an error. Please get back to us as soon as you can.")
    decision, _ = explain_body(body, load_config(default_config_path()), datetime(2026, 11, 26, 10, 5, tzinfo=timezone.utc))
    assert (decision.entitled, decision.level) == (True, "L1")
