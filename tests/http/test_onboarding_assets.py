"""On-boarding from JSM Assets: `entitlement.list_aql` lists every entitlement object, page by
page, for the sweep's comparison (worker/onboarding.py); anything unclear makes the whole listing
unavailable, never a partial one that would look like SENs removed."""
from __future__ import annotations

import pytest
from responses import matchers

from tests.http.test_assets_source import AQL, DC, DC_AQL_URL, REGIONS, TYPE_ATTRIBUTES, globex, rsps  # noqa: F401
from worker.config.models import AssetsAttributes
from worker.jira import assets
from worker.jira.assets import AssetsSource, AssetsUnavailable
from worker.onboarding import digest, listing

LIST_AQL = 'objectType = "Priority Support Entitlement"'


def source(list_aql: str | None = LIST_AQL) -> AssetsSource:
    return AssetsSource(DC, AQL, AssetsAttributes(), REGIONS, list_aql=list_aql)


def page(number: int, *objects: dict, pages: int = 2) -> dict:
    return {"objectEntries": list(objects), "objectTypeAttributes": TYPE_ATTRIBUTES, "pageNumber": number,
            "pageSize": pages}


def test_every_page_is_listed(rsps, monkeypatch):  # noqa: F811
    monkeypatch.setattr(assets, "LIST_PAGE", 2)
    for number, objects in ((1, [globex("SEN-10000001"), globex("SEN-10000002")]), (2, [globex("SEN-10000005")])):
        rsps.get(DC_AQL_URL, match=[matchers.query_param_matcher(
            {"qlQuery": LIST_AQL, "page": str(number), "resultPerPage": "2", "includeAttributes": "True"})],
            json=page(number, *objects))
    records = listing(source())
    assert sorted(records) == ["SEN-10000001", "SEN-10000002", "SEN-10000005"]
    assert records["SEN-10000005"].customer == "Globex Corporation"
    assert digest(records["SEN-10000001"]) != digest(records["SEN-10000001"].model_copy(update={"users": 2001}))


def test_without_a_list_query_the_source_is_not_listed():
    assert listing(source(None)) is None


@pytest.mark.parametrize("objects, message", [
    ([globex("SEN-10000001"), globex("SEN-10000001")], "Assets lists SEN-10000001 more than once"),
    ([globex("SEN-10000001", region="MARS")], "names region 'MARS'"),
    ([{"objectKey": "ENT-9", "attributes": []}], "ENT-9 listed by entitlement.list_aql has no SEN"),
])
def test_an_unclear_listing_is_unavailable_as_a_whole(rsps, objects, message):  # noqa: F811
    rsps.get(DC_AQL_URL, json=page(1, *objects, pages=1))
    with pytest.raises(AssetsUnavailable, match=message):
        listing(source())
