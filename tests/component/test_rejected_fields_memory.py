"""A field Jira rejects is remembered for the config version and left out of the next triages'
edits until the config changes (issue 10, point 6): one edit per triage, not two."""
from __future__ import annotations

import json

from tests.http.sites import CLOUD
from tests.component.test_triage_writes import body, run
from worker.triage import PROPERTY

REJECTED = {"errorMessages": [], "errors": {"customfield_10111": "Field 'customfield_10111' cannot be set. "
                                           "It is not on the appropriate screen, or unknown."}}


def payload_for(key: str) -> dict:
    payload = body("cloud-entitled-l1.json")
    payload["issue"]["key"] = key
    return payload


def expect_rest(rsps, key):
    base = f"{CLOUD.url}/rest"
    rsps.post(f"{base}/servicedeskapi/request/{key}/comment", status=201, json={"id": "1"})
    rsps.put(f"{base}/api/2/issue/{key}/properties/{PROPERTY}", status=201)


def test_a_rejected_field_is_left_out_until_the_config_changes(rsps, config, source, redis_client):  # noqa: F811
    base = f"{CLOUD.url}/rest"
    refused = rsps.put(f"{base}/api/2/issue/PS-101", status=400, json=REJECTED)
    rsps.put(f"{base}/api/2/issue/PS-101", status=204)
    expect_rest(rsps, "PS-101")
    first = run(CLOUD, payload_for("PS-101"), config, source, redis_client)
    assert set(first.rejected_fields) == {"customfield_10111"} and refused.call_count == 1

    rsps.reset()
    edit = rsps.put(f"{base}/api/2/issue/PS-102", status=204)
    expect_rest(rsps, "PS-102")
    second = run(CLOUD, payload_for("PS-102"), config, source, redis_client)
    assert second.status == "written" and second.rejected_fields == {}
    assert edit.call_count == 1  # one edit, without the field Jira refused before
    sent = json.loads(edit.calls[0].request.body)
    assert "customfield_10111" not in sent["fields"] and sent["fields"]["customfield_10110"] == "L1"

    rsps.reset()  # a new config version (any edit of the file): the field is tried again
    edited = config.model_copy(update={"labels": config.labels.model_copy(update={"reason_prefix": "ps-why-"})})
    assert edited.version != config.version
    edit = rsps.put(f"{base}/api/2/issue/PS-103", status=204)
    expect_rest(rsps, "PS-103")
    run(CLOUD, payload_for("PS-103"), edited, source, redis_client)
    assert "customfield_10111" in json.loads(edit.calls[0].request.body)["fields"]
