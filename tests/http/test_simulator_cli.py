"""`psw sim request` and `psw sim show` against a running simulator; `python -m jirasim` as a process."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import requests
from click.testing import CliRunner

from jirasim import JiraSimulator
from jirasim import catalogue as cat
from worker.cli.sim import command


def test_request_raises_a_jsm_request_and_says_how_to_look_at_it(sim, receiver):
    result = CliRunner().invoke(command, ["request", "--sim-url", sim.url, "--severity", "l1",
                                          "--product", "confluence", "--version", "9.2.1"])
    assert result.exit_code == 0, result.output
    assert "Created PS-1" in result.output
    assert f"curl -s -u psw-demo@example.com:simulator '{sim.url}/rest/api/2/issue/PS-1?properties=priority-support'" \
        in result.output
    assert f"sent jira:issue_created to {receiver.url}" in result.output
    fields = sim.issue("PS-1")["fields"]
    assert fields[cat.SEVERITY_FIELD]["value"] == "L1 - Production down"
    assert fields[cat.PRODUCT_FIELD]["value"] == "Confluence"
    assert fields[cat.PRODUCT_VERSION_FIELD] == "9.2.1"
    assert fields[cat.SEN_FIELD] == "SEN-10000001"
    assert fields["reporter"]["emailAddress"] == "ops-admin@globex.example"
    sim.wait_for_webhooks()
    assert receiver.events() == ["jira:issue_created"]


def test_request_created_backdates_the_request_and_fires_its_webhook(sim, receiver):
    result = CliRunner().invoke(command, ["request", "--sim-url", sim.url, "--severity", "L1",
                                          "--created", "2026-11-30T08:00:00-08:00"])
    assert result.exit_code == 0, result.output
    fields = sim.issue("PS-1")["fields"]
    assert fields["created"] == "2026-11-30T16:00:00.000+0000"
    assert fields["reporter"]["emailAddress"] == "ops-admin@globex.example"
    assert fields[cat.SEVERITY_FIELD]["value"] == "L1 - Production down"
    sim.wait_for_webhooks()
    assert receiver.events() == ["jira:issue_created"]


def test_request_created_must_be_an_instant_in_the_past_with_a_zone():
    for value, problem in (("yesterday", "is not an ISO 8601 instant"), ("2026-12-07T08:00:00", "has no time zone"),
                           ("2999-01-01T00:00:00Z", "is in the future")):
        result = CliRunner().invoke(command, ["request", "--created", value])
        assert result.exit_code == 2 and problem in result.output, result.output


def test_request_refuses_an_unknown_request_type():
    result = CliRunner().invoke(command, ["request", "--request-type", "Make coffee"])
    assert result.exit_code == 2 and "unknown request type 'Make coffee'" in result.output


def test_show_prints_labels_priority_fields_property_and_comments(sim, http):
    key = sim.create_request(summary="Down", sen="SEN-10000001", severity="L1")["issueKey"]
    http.put(f"/rest/api/2/issue/{key}", json={
        "fields": {"priority": {"name": "Highest"}, cat.PS_LEVEL_FIELD: "L1",
                   cat.PS_DUE_FIELD: "2026-11-26T11:00:00.000+0000", cat.PS_ENTITLEMENT_FIELD: "entitled"},
        "update": {"labels": [{"add": "priority-support"}, {"add": "ps-l1"}]}})
    http.put(f"/rest/api/2/issue/{key}/properties/priority-support", json={"level": "L1", "config": "c0ffee"})
    http.post(f"/rest/servicedeskapi/request/{key}/comment", json={"body": "Priority Support L1", "public": False})
    result = CliRunner().invoke(command, ["show", key, "--sim-url", sim.url])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "priority:  Highest" in out and "labels:    priority-support, ps-l1" in out
    assert "PS level:       L1" in out and "PS due:         2026-11-26T11:00:00.000+0000" in out
    assert "PS entitlement: entitled" in out
    assert "team:      (unset)" in out and "assignee:  (unassigned)" in out
    assert '"config": "c0ffee"' in out and "[internal] Agent" in out and "Priority Support L1" in out


def test_show_works_on_a_datacenter_simulator_and_names_a_missing_issue(dc_sim):
    key = dc_sim.create_request(summary="x")["issueKey"]
    shown = CliRunner().invoke(command, ["show", key, "--sim-url", dc_sim.url])
    assert shown.exit_code == 0, shown.output
    assert "(not set yet" in shown.output
    missing = CliRunner().invoke(command, ["show", "PS-77", "--sim-url", dc_sim.url])
    assert missing.exit_code == 1 and "404" in missing.output and "Issue does not exist" in missing.output


def test_an_absent_simulator_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(command, ["show", "PS-1", "--sim-url", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert f"no Jira simulator answers at http://127.0.0.1:{port}" in result.output


def test_python_m_jirasim_serves_signs_and_stops_on_sigterm(tmp_path, receiver):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "jirasim", "--port", str(port), "--webhook-url", receiver.url,
         "--secret-file", str(secret_file), "--flavor", "datacenter"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                info = requests.get(f"{url}/rest/api/2/serverInfo", timeout=1).json()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.05)
        assert info["deploymentType"] == "Server"
        answer = requests.post(f"{url}/rest/servicedeskapi/request", headers={"Authorization": "Bearer t"},
                               json={"serviceDeskId": "1", "requestTypeId": "1",
                                     "requestFieldValues": {"summary": "from a process"}}, timeout=5)
        assert answer.status_code == 201
        assert requests.post(f"{url}/_sim/deliveries/wait", json={"timeout": 5}, timeout=10).json() == {"idle": True}
        (got,) = receiver.received
        from jirasim.webhooks import signature
        assert got.headers["X-Hub-Signature"] == signature("from-a-file", got.body)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "POST /rest/servicedeskapi/request -> 201" in output
    assert "from-a-file" not in output


def test_python_m_jirasim_rejects_a_missing_secret_file(tmp_path):
    done = subprocess.run([sys.executable, "-m", "jirasim", "--secret-file", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "cannot read the webhook secret file" in done.stderr


def test_simulator_objects_can_be_started_twice_side_by_side():
    with JiraSimulator() as one, JiraSimulator(flavor="datacenter") as two:
        assert one.url != two.url
        assert requests.get(f"{two.url}/rest/api/2/serverInfo", timeout=5).json()["deploymentType"] == "Server"
