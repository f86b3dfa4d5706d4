"""The JSM Assets entitlement source, against `responses` (no real Jira)."""
from __future__ import annotations

import json
from datetime import date

import pytest
import requests
import responses
from responses import matchers

from worker.config.models import AssetsAttributes
from worker.jira.assets import AssetsSource, AssetsUnavailable
from worker.settings import JiraSite

TOKEN = "assets-api-token-5d2e1f"
PAT = "assets-dc-pat-90ab77"
CLOUD = JiraSite(url="https://globex.atlassian.net", deployment="cloud", email="bot@globex.example",
                 api_token=TOKEN, timeout=5.0)
DC = JiraSite(url="https://jira.globex.example/jira", deployment="datacenter", personal_access_token=PAT, timeout=5.0)
AQL = 'objectType = "Priority Support Entitlement" AND "SEN" = "{sen}"'
QUERY = AQL.replace("{sen}", "SEN-10000001")
CLOUD_AQL_URL = "https://api.atlassian.com/jsm/assets/workspace/ws-42/v1/object/aql"
DC_AQL_URL = "https://jira.globex.example/jira/rest/assets/1.0/aql/objects"
REGIONS = frozenset({"AMER", "EMEA", "APAC"})

TYPE_ATTRIBUTES = [
    {"id": str(n), "name": name} for n, name in enumerate(
        ["SEN", "Customer", "Region", "Deployment", "Products", "Users", "Remote agents", "Maintenance end",
         "Priority Support purchased", "Admins", "Time zone"], start=101)
]


def _attribute(type_id: int, *values: dict) -> dict:
    return {"id": str(type_id + 1000), "objectTypeAttributeId": str(type_id), "objectAttributeValues": list(values)}


def _text(value: str) -> dict:
    return {"value": value, "displayValue": value, "searchValue": value}


def globex(sen: str = "SEN-10000001", region: str = "EMEA", deployment: str = "Data Center") -> dict:
    return {
        "id": "88", "objectKey": "ENT-88", "label": sen,
        "attributes": [
            _attribute(101, _text(sen)),
            _attribute(102, _text("Globex Corporation")),
            _attribute(103, {"referencedObject": {"id": "5", "label": region, "objectKey": "REG-5"},
                             "displayValue": region}),
            _attribute(104, _text(deployment)),
            _attribute(105, _text("Jira Software"), _text("Confluence")),
            _attribute(106, _text("2000")),
            _attribute(108, _text("2027-06-30")),
            _attribute(109, _text("false")),
            _attribute(110, {"user": {"key": "JIRAUSER10001", "name": "globex.admin",
                                      "emailAddress": "ops-admin@globex.example", "displayName": "Gil Globex"},
                             "displayValue": "Gil Globex"}, _text("557058:11111111-aaaa-4bbb-8ccc-000000000001")),
        ],
    }


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def dc_source() -> AssetsSource:
    return AssetsSource(DC, AQL, AssetsAttributes(), REGIONS)


def test_data_center_lookup_reads_every_attribute(rsps):
    rsps.get(DC_AQL_URL, match=[
        matchers.query_param_matcher({"qlQuery": QUERY, "page": "1", "resultPerPage": "2", "includeAttributes": "True"}),
        matchers.header_matcher({"Authorization": f"Bearer {PAT}"}),
    ], json={"objectEntries": [globex()], "objectTypeAttributes": TYPE_ATTRIBUTES, "totalFilterCount": 1})
    record = dc_source().lookup("SEN-L10000001")
    assert record.model_dump() == {
        "sen": "SEN-10000001", "customer": "Globex Corporation", "region": "EMEA", "deployment": "data-center",
        "products": ("Jira Software", "Confluence"), "users": 2000, "remote_agents": None,
        "maintenance_end": date(2027, 6, 30), "priority_purchased": False,
        "admins": ("JIRAUSER10001", "globex.admin", "ops-admin@globex.example",
                   "557058:11111111-aaaa-4bbb-8ccc-000000000001"),
        "time_zone": None,
        "holiday_country": None,
        "holiday_subdivision": None,
    }


def test_cloud_lookup_finds_the_workspace_then_posts_the_query(rsps):
    rsps.get("https://globex.atlassian.net/rest/servicedeskapi/assets/workspace",
             json={"size": 1, "values": [{"workspaceId": "ws-42"}]})
    rsps.post(CLOUD_AQL_URL, match=[
        matchers.json_params_matcher({"qlQuery": QUERY}),
        matchers.query_param_matcher({"startAt": "0", "maxResults": "2", "includeAttributes": "True"}),
    ], json={"startAt": 0, "maxResults": 2, "total": 1, "isLast": True, "values": [globex()],
             "objectTypeAttributes": TYPE_ATTRIBUTES})
    source = AssetsSource(CLOUD, AQL, AssetsAttributes(), REGIONS)
    assert source.lookup("SEN-10000001").customer == "Globex Corporation"
    rsps.post(CLOUD_AQL_URL, json={"values": [], "objectTypeAttributes": TYPE_ATTRIBUTES})
    assert source.lookup("SEN-10000001") is None  # the workspace is found once


def test_attribute_names_come_from_the_config(rsps):
    renamed = [dict(a, name="Licence SEN") if a["name"] == "SEN" else a for a in TYPE_ATTRIBUTES]
    rsps.get(DC_AQL_URL, json={"objectEntries": [globex()], "objectTypeAttributes": renamed})
    source = AssetsSource(DC, AQL, AssetsAttributes(sen="licence sen"), REGIONS)
    assert source.lookup("SEN-10000001").sen == "SEN-10000001"


def test_an_unknown_sen_is_none(rsps):
    rsps.get(DC_AQL_URL, json={"objectEntries": [], "objectTypeAttributes": []})
    assert dc_source().lookup("SEN-10000001") is None


@pytest.mark.parametrize("answer, message", [
    (dict(json={"objectEntries": [globex(), globex()], "objectTypeAttributes": TYPE_ATTRIBUTES}),
     "Assets holds 2 objects for SEN-10000001; expected one"),
    (dict(json={"objectEntries": [globex(region="MARS")], "objectTypeAttributes": TYPE_ATTRIBUTES}),
     "names region 'MARS', which the mapping config does not define"),
    (dict(json={"objectEntries": [globex(deployment="Mainframe")], "objectTypeAttributes": TYPE_ATTRIBUTES}),
     "ENT-88 for SEN-10000001 is not a valid entitlement record: deployment: unknown deployment 'Mainframe'"),
    (dict(json={"objectEntries": [globex(sen="SEN-10000002")], "objectTypeAttributes": TYPE_ATTRIBUTES}),
     "the AQL query for SEN-10000001 returned the object of SEN-10000002"),
    (dict(status=500, json={"errorMessages": ["Index is rebuilding"]}), "(500): Index is rebuilding"),
    (dict(status=400, json={"errorMessages": ["AQL: unknown attribute SEN"]}), "(400): AQL: unknown attribute SEN"),
    (dict(status=200, body="<html>login</html>", content_type="text/html"), "something other than a JSON object"),
    (dict(body=requests.ConnectionError("connection refused")), "Assets unreachable: ConnectionError"),
])
def test_anything_but_a_clear_answer_makes_the_source_unavailable(rsps, answer, message):
    rsps.get(DC_AQL_URL, **answer)
    with pytest.raises(AssetsUnavailable) as caught:
        dc_source().lookup("SEN-10000001")
    assert message in str(caught.value)
    assert caught.value.retry_after is None


def test_a_rate_limit_says_when_to_retry(rsps):
    rsps.get(DC_AQL_URL, status=429, headers={"Retry-After": "30"})
    with pytest.raises(AssetsUnavailable) as caught:
        dc_source().lookup("SEN-10000001")
    assert caught.value.retry_after == 30


def test_a_site_that_is_down_at_start_up_only_makes_lookups_unavailable(rsps):
    rsps.get("https://globex.atlassian.net/rest/servicedeskapi/assets/workspace",
             body=requests.ConnectionError("no route to host"))
    source = AssetsSource(CLOUD, AQL, AssetsAttributes(), REGIONS)  # no call yet
    with pytest.raises(AssetsUnavailable, match="unreachable"):
        source.lookup("SEN-10000001")


def test_secrets_never_appear_in_errors(rsps):
    rsps.get(DC_AQL_URL, status=401, json={"errorMessages": [f"bad token {PAT}"]})
    with pytest.raises(AssetsUnavailable) as caught:
        dc_source().lookup("SEN-10000001")
    assert PAT not in str(caught.value) and "***" in str(caught.value)
    assert json.dumps(caught.value.args).count(PAT) == 0


def test_a_query_without_the_sen_placeholder_is_refused():
    with pytest.raises(ValueError, match=r"must contain \{sen\}"):
        AssetsSource(DC, 'objectType = "Entitlement"', AssetsAttributes())
