"""A simulator, an editable entitlement file and the worker's services pointed at both: the
re-triage and on-boarding tests change a record and watch what the workers do about it."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from jirasim.simulator import JiraSimulator
from worker.config.loader import default_config_path
from worker.queues import QUEUE

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
