"""`psw retriage`: the before -> after per issue, a progress bar for many, and bad input named
with an exit code (1: an issue or query Jira refuses, an unknown SEN; 2: usage)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from tests.component.conftest import RENEWED, queued_tasks
from worker.cli import retriage
from worker.tasks import triage_by_key


def run(*args: str):
    return CliRunner().invoke(retriage.command, list(args), catch_exceptions=False)


def test_keys_dry_run_then_apply_with_a_progress_bar(setup, redis_client):
    keys = [setup.request(), setup.request(severity="L2")]
    for key in keys:
        triage_by_key.apply(args=[key, "reconcile"], throw=True)
    setup.set_globex(RENEWED)
    dry = run(*keys, "--dry-run", "--by", "erin")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        f"{keys[0]}: not entitled (MAINTENANCE_EXPIRED) -> L1 (entitled) (now entitled: L1 (was not entitled (MAINTENANCE_EXPIRED)))",
        f"{keys[1]}: not entitled (MAINTENANCE_EXPIRED) -> L2 (entitled) (now entitled: L2 (was not entitled (MAINTENANCE_EXPIRED)))"]
    assert "\nre-triage\n" in dry.stderr  # the progress bar (its label only, off a terminal), on stderr
    assert "2 of 2 request(s) would be re-triaged (dry run)" in dry.stderr
    assert queued_tasks(redis_client) == []
    applied = run(*keys, "--by", "erin", "--json")
    assert applied.exit_code == 0, applied.stderr
    assert [json.loads(line)["queued"] for line in applied.stdout.splitlines()] == [True, True]
    assert [args for _, args in queued_tasks(redis_client)] == [[k, "retriage", False, "erin"] for k in keys]


def test_sen_selects_that_sens_open_requests_only(setup, redis_client):
    globex = setup.request()
    other = setup.request(sen="SEN-10000005")
    setup.sim.set_status(setup.request(), "Resolved")  # closed: not re-triaged
    result = run("--sen", "sen-10000001", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [globex]
    assert other not in result.stdout


def test_bad_input_is_named_with_an_exit_code(setup):
    key = setup.request()
    unknown = run("PS-9999", key, "--dry-run")
    assert unknown.exit_code == 1
    assert "PS-9999: Jira has no such issue" in unknown.stderr
    assert unknown.stdout.startswith(f"{key}: never triaged -> ")  # the rest still ran
    bad_jql = run("--jql", "created >>> yesterday (", "--dry-run")
    assert bad_jql.exit_code == 1 and "Jira refused the JQL query" in bad_jql.stderr
    no_sen = run("--sen", "SEN-12345678")
    assert no_sen.exit_code == 1
    assert "SEN-12345678: no open request carries it, and the entitlement source does not know it" in no_sen.stderr
    for args, said in ((["--sen", "not-a-sen"], "'not-a-sen' is not a SEN"),
                       (["ps 1"], "'ps 1' is not an issue key"),
                       ([], "name the requests one way"),
                       ([key, "--sen", "SEN-10000001"], "given: KEY, --sen")):
        result = run(*args)
        assert result.exit_code == 2 and said in result.stderr, (args, result.stderr)
