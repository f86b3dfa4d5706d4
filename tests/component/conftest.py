"""Fixtures for the component tests: real parts (the suite's Redis, AuditTrail,
the shipped config, a JiraGateway) put together the way worker.runtime offers them to the tasks,
and a simulator with an editable entitlement file for the re-triage and on-boarding tests."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from jirasim.simulator import JiraSimulator
from tests.http.sites import CLOUD, DATACENTER
from tests.policy_helpers import facts, record, shipped
from worker.audit import AuditTrail
from worker.config.loader import default_config_path
from worker.config.models import MappingConfig
from worker.jira.gateway import JiraGateway, shadow_writes
from worker.policy.decision import decide
from worker.queues import QUEUE
from worker.settings import JiraSite, ReminderSettings, Settings


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


EXPIRED, RENEWED = "maintenance_end: 2026-01-31", "maintenance_end: 2027-06-30"


@dataclass
class Setup:
    sim: JiraSimulator
    entitlements: Path
    config: Path
    env: dict[str, str]

    def set_globex(self, text: str) -> None:
        """Globex's (SEN-10000001) maintenance end: EXPIRED or RENEWED."""
        current = self.entitlements.read_text()
        head, sep, rest = current.partition("  - sen: SEN-10000001\n")
        record, sep2, tail = rest.partition("\n\n")
        lines = [text if line.strip().startswith("maintenance_end:") else line.strip() for line in record.splitlines()]
        self.entitlements.write_text(head + sep + "\n".join("    " + line for line in lines) + sep2 + tail)

    def add_record(self, yaml_record: str) -> None:
        self.entitlements.write_text(self.entitlements.read_text().rstrip("\n") + "\n\n" + yaml_record)

    def request(self, sen: str = "SEN-10000001", severity: str = "L1") -> str:
        created = self.sim.create_request(summary="Jira is down", sen=sen, severity=severity,
                                          product="Jira Software", version="10.3.4", environment="Production",
                                          reporter="ops-admin@globex.example", fire_webhooks=False)
        return created["issueKey"]


@pytest.fixture
def setup(tmp_path, monkeypatch, redis_url, redis_client):
    from worker import runtime

    shipped = default_config_path()
    entitlements = tmp_path / "entitlements.yaml"
    entitlements.write_text((shipped.parent / "entitlements.yaml").read_text())
    config = tmp_path / "mapping.yaml"
    config.write_text(shipped.read_text().replace("path: entitlements.yaml", f"path: {entitlements}"))
    with JiraSimulator() as sim:
        env = {"REDIS_URL": redis_url, "JIRA_URL": sim.url, "JIRA_EMAIL": "bot@example.com",
               "JIRA_API_TOKEN": "test-token", "MAPPING_CONFIG": str(config), "PSW_VAR_DIR": str(tmp_path)}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("SHADOW_MODE", raising=False)
        runtime.services.cache_clear()
        made = Setup(sim, entitlements, config, env)
        made.set_globex(EXPIRED)
        yield made
    runtime.services.cache_clear()


def queued_tasks(client) -> list[tuple[str, list]]:
    """(task name, args) of every message on the triage queue, oldest first."""
    found = []
    for raw in reversed(client.lrange(QUEUE, 0, -1)):
        envelope = json.loads(raw)
        args = json.loads(base64.b64decode(envelope["body"]))[0]
        found.append((envelope["headers"]["task"], args))
    return found
