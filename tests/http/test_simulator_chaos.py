"""The simulator's chaos setting (jirasim/chaos.py): seeded faults at fixed odds on /rest calls,
and webhook deliveries sent again under the same or a new identifier."""
from __future__ import annotations

import time

import pytest

from jirasim.chaos import Chaos, ChaosSettings
from tests.simulator_fixtures import Client

ENTITLED = {"serviceDeskId": "1", "requestTypeId": "2",
            "requestFieldValues": {"summary": "Down", "customfield_10100": "SEN-10000001"}}


def test_the_odds_hold_and_a_seed_repeats_the_draws():
    settings = ChaosSettings(seed=7, rate_limited=0.2, server_error=0.1, slow=0.05, slow_seconds=3)
    first, second = Chaos(settings), Chaos(settings)
    draws = [first.take() for _ in range(20_000)]
    assert draws == [second.take() for _ in range(20_000)]
    counts = first.describe()["counts"]
    assert counts["calls"] == 20_000
    assert 3700 < counts["429"] < 4300 and 1750 < counts["500"] < 2250 and 850 < counts["slow"] < 1150
    assert {d.delay for d in draws if d is not None and d.status is None} == {3.0}


@pytest.mark.parametrize("body, message", [
    ({"rate_limited": 1.5}, "between 0 and 1"),
    ({"rate_limited": 0.6, "server_error": 0.5}, "must not exceed 1"),
    ({"resend_same": 0.7, "resend_new": 0.4}, "must not exceed 1"),
    ({"slow": "lots"}, "must be numbers"),
    ({"sloow": 0.1}, "unknown chaos settings ['sloow']"),
])
def test_bad_settings_are_refused_with_the_reason(body, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ChaosSettings.from_json(body)


def test_rest_calls_meet_429_with_retry_after_and_500_and_the_control_api_reports_them(sim, http):
    control = Client(sim.url)
    key = control.post("/_sim/requests", json=ENTITLED).json()["issueKey"]
    answer = control.post("/_sim/chaos", json={"seed": 1, "rate_limited": 0.5, "server_error": 0.5,
                                                "retry_after": 1})
    assert answer.status_code == 200
    statuses = []
    for _ in range(40):
        got = http.get(f"/rest/api/2/issue/{key}")
        statuses.append(got.status_code)
        if got.status_code == 429:
            assert got.headers["Retry-After"] == "1" and got.json()["errorMessages"]
    assert set(statuses) == {429, 500}
    counts = control.get("/_sim/chaos").json()["counts"]
    assert counts["429"] + counts["500"] == 40 == counts["calls"]
    assert control.post("/_sim/chaos", json={"slow": 2}).status_code == 400
    assert control.delete("/_sim/chaos").status_code == 204
    assert http.get(f"/rest/api/2/issue/{key}").status_code == 200
    # The control API itself never meets a fault.
    control.post("/_sim/chaos", json={"server_error": 1.0})
    assert control.get(f"/_sim/issues/{key}").status_code == 200


def test_a_spared_request_meets_no_fault_from_its_first_call_and_the_others_still_do(sim, http, receiver):
    """A chaos run's probe: its triage's calls meet none of the odds, whatever they are."""
    control = Client(sim.url)
    control.post("/_sim/chaos", json={"seed": 2, "server_error": 1.0})
    spared = control.post("/_sim/requests", json={**ENTITLED, "chaos_spared": True}).json()
    other = control.post("/_sim/requests", json=ENTITLED).json()["issueKey"]
    sim.wait_for_webhooks()
    assert receiver.events() == ["jira:issue_created", "jira:issue_created"]  # its webhook still sent
    assert http.get(f"/rest/api/2/issue/{spared['issueKey']}").status_code == 200
    assert http.get(f"/rest/api/2/issue/{spared['issueId']}/comment").status_code == 200
    assert http.put(f"/rest/api/2/issue/{spared['issueKey']}/properties/p", json=1).status_code == 201
    assert http.get(f"/rest/api/2/issue/{other}").status_code == 500
    assert http.get(f"/rest/api/2/issue/{spared['issueKey']}0").status_code == 500  # a key is a whole segment
    counts = control.get("/_sim/chaos").json()["counts"]
    assert counts["spared"] == 3 and counts["calls"] == counts["500"] == 2
    assert control.post("/_sim/requests", json={**ENTITLED, "chaos_spared": "yes"}).status_code == 400
    control.post("/_sim/chaos", json={"server_error": 1.0})  # new settings: nothing spared any more
    assert http.get(f"/rest/api/2/issue/{spared['issueKey']}").status_code == 500


def test_a_slow_call_is_carried_out_after_the_delay(sim, http):
    key = Client(sim.url).post("/_sim/requests", json=ENTITLED).json()["issueKey"]
    sim.set_chaos(ChaosSettings(slow=1.0, slow_seconds=0.3))
    started = time.monotonic()
    assert http.put(f"/rest/api/2/issue/{key}/properties/p", json=1).status_code == 201
    assert time.monotonic() - started >= 0.3
    assert sim.properties(key)["p"] == 1  # done, however late: a client that gave up must not do it twice


def test_deliveries_are_sent_again_under_the_same_and_under_new_identifiers(sim, receiver):
    sim.set_chaos(ChaosSettings(seed=3, resend_same=0.5, resend_new=0.5, resend_within=0.6))
    for _ in range(6):
        sim.create_request(summary="Down", sen="SEN-10000001")
    sim.wait_for_webhooks(timeout=10)
    originals = [d for d in sim.deliveries if d.copy_of is None]
    copies = [d for d in sim.deliveries if d.copy_of is not None]
    assert len(originals) == 6 and len(receiver.received) == 12  # every delivery once more
    ids = [r.headers["X-Atlassian-Webhook-Identifier"] for r in receiver.received]
    same = [i for i in {d.id for d in originals} if ids.count(i) == 2]
    assert len(same) + len(copies) == 6
    counts = sim.chaos.describe()["counts"]
    assert counts["resend_same"] == len(same) and counts["resend_new"] == len(copies)
    by_id = {d.id: d for d in sim.deliveries}
    for copy in copies:
        assert copy.body == by_id[copy.copy_of].body and ids.count(copy.id) == 1
    listed = Client(sim.url).get("/_sim/deliveries", params={"bodies": "false"}).json()["deliveries"]
    assert {d["id"]: d["copy_of"] for d in listed} == {d.id: d.copy_of for d in sim.deliveries}
    assert all("body" not in d for d in listed)


def test_an_agent_edit_through_the_control_api_fires_issue_updated(sim, receiver):
    control = Client(sim.url)
    key = control.post("/_sim/requests", json=ENTITLED).json()["issueKey"]
    answer = control.post(f"/_sim/issues/{key}/edit", json={"fields": {"summary": "Still down"}})
    assert answer.json() == {"changed": ["summary"]}
    sim.wait_for_webhooks()
    assert receiver.events() == ["jira:issue_created", "jira:issue_updated"]
    assert sim.issue(key)["fields"]["summary"] == "Still down"


def test_a_chaos_runs_probe_is_spared_and_its_load_is_not(sim, http):
    """bench/chaos.py: the healing time is the probe's; the load meets every injected fault."""
    from bench.chaos import KINDS, Sim, probe

    sim.set_chaos(ChaosSettings(server_error=1.0))
    bench = Sim(sim.url)
    key, seen = probe(bench, "test", timeout=0)
    load = bench.create(KINDS[1], "Chaos request 1")
    assert seen is None  # nobody triages here
    assert http.get(f"/rest/api/2/issue/{key}").status_code == 200
    assert http.get(f"/rest/api/2/issue/{load}").status_code == 500
