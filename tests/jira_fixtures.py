"""Fixtures of the http and component tests (a plugin of tests/conftest.py): a strict `responses`
mock, a site and a gateway per deployment, and the shipped config with its entitlement records."""
from __future__ import annotations

import pytest
import responses

from tests.http.sites import CLOUD, DATACENTER
from worker.config.loader import default_config_path, load_config
from worker.entitlement.sources import FileSource
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


@pytest.fixture(scope="module")
def config():
    return load_config(default_config_path())


@pytest.fixture(scope="module")
def source(config):
    return FileSource(config.resolve(config.entitlement.path), frozenset(config.regions))
