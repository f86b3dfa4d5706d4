"""Fixtures for the reminder tests: real parts (Redis, AuditTrail, the shipped config, a
JiraGateway), put together as worker.runtime.TaskServices says the tasks use them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
import redis as redis_lib

from tests.http.sites import CLOUD, DATACENTER
from tests.policy.helpers import facts, record, shipped
from worker.audit import AuditTrail
from worker.config.models import MappingConfig
from worker.jira.gateway import JiraGateway, shadow_writes
from worker.policy.decision import decide
from worker.settings import ReminderSettings
from worker.settings import JiraSite, Settings

SEVERITY = {"L1": "L1 - Production down", "L2": "L2 - Serious degradation",
            "L3": "L3 - Moderate impact", "L4": "L4 - Limited impact"}


@dataclass
class Services:
    settings: Settings
    redis: redis_lib.Redis
    audit: AuditTrail
    mapping: MappingConfig
    site: JiraSite | None = None
    gateways: list[JiraGateway] = field(default_factory=list)

    def config(self) -> MappingConfig:
        return self.mapping

    def gateway(self) -> JiraGateway:
        if self.site is None:
            raise AssertionError("this test must not call Jira")
        # As worker.runtime builds it: in shadow mode writes are recorded in the audit, not sent.
        gateway = JiraGateway(self.site, shadow=shadow_writes(self.audit) if self.settings.shadow_mode else None)
        self.gateways.append(gateway)
        return gateway


def make_services(redis_url: str, client: redis_lib.Redis, site: JiraSite | None = None,
                  mapping: MappingConfig | None = None, **env: str) -> Services:
    settings = Settings.from_env({"REDIS_URL": redis_url, **env})
    return Services(settings=settings, redis=client, audit=AuditTrail(client),
                    mapping=mapping or shipped(), site=site)


@pytest.fixture
def offline(redis_url, redis_client) -> Services:
    """Services with no Jira at all."""
    return make_services(redis_url, redis_client)


@pytest.fixture(params=[CLOUD, DATACENTER], ids=["cloud", "datacenter"])
def site(request) -> JiraSite:
    return request.param


@pytest.fixture
def services(redis_url, redis_client, site) -> Services:
    return make_services(redis_url, redis_client, site)


@pytest.fixture
def rem_settings() -> ReminderSettings:
    return ReminderSettings()


def decision_property(level: str, created: datetime, now: datetime, *, key: str = "PS-1",
                      region: str = "EMEA", **extra: Any) -> dict:
    """The `priority-support` property the triage writes for an entitled request of `level`
    from a `region` customer, decided at `now` by the real core."""
    decision = decide(facts(issue_key=key, created=created, severity_option=SEVERITY[level]),
                      record("SEN-10000001", region=region), shipped(), now)
    assert decision.entitled and decision.level == level, decision.reasons
    return {"decision_id": f"d-{key}", "delivery": "delivery-1", "triaged_at": now.isoformat(),
            **decision.to_dict(), **extra}
