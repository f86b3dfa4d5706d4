"""Fixtures for the HTTP tests: a strict `responses` mock and a gateway per deployment."""
from __future__ import annotations

import pytest
import responses

from tests.http.sites import CLOUD, DATACENTER
from worker.jira.gateway import JiraGateway
from worker.settings import JiraSite


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(params=[CLOUD, DATACENTER], ids=["cloud", "datacenter"])
def site(request) -> JiraSite:
    return request.param


@pytest.fixture
def gateway(site) -> JiraGateway:
    return JiraGateway(site)
