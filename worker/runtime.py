"""What a worker process needs, built once per process from Settings."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests

from worker import redis_connect
from worker.audit import AuditTrail
from worker.config.live import LiveConfig
from worker.config.loader import default_config_path
from worker.config.models import MappingConfig
from worker.deliveries import DeliveryStore
from worker.entitlement.sources import EntitlementSource, source_from_config
from worker.jira.client import new_session
from worker.jira.concurrency import SiteConcurrency
from worker.jira.gateway import JiraGateway
from worker.settings import Settings


@dataclass
class WorkerServices:
    settings: Settings
    redis: redis.Redis
    deliveries: DeliveryStore
    audit: AuditTrail
    live_config: LiveConfig
    _sources: dict[str, EntitlementSource] = field(default_factory=dict)

    def config(self) -> MappingConfig:
        return self.live_config.current()

    def entitlements(self) -> EntitlementSource:
        """The entitlement source the running config names (rebuilt when the config changes)."""
        config = self.config()
        if config.version not in self._sources:
            self._sources.clear()
            self._sources[config.version] = source_from_config(config, self.settings)
        return self._sources[config.version]

    @functools.cached_property
    def jira_session(self) -> requests.Session:
        # One per worker process (built after the fork, on first use): connections stay open.
        if self.settings.jira is None:
            raise ValueError("Jira is not configured: set JIRA_URL and its credentials")
        return new_session(self.settings.jira)

    @functools.cached_property
    def jira_concurrency(self) -> SiteConcurrency | None:
        """The site's call limit, shared with every worker through Redis (None: switched off)."""
        limits, site = self.settings.jira_concurrency, self.settings.jira
        if site is None or not limits.enabled:
            return None
        # A slot outlives the longest call (a timeout) a little, then frees itself.
        return SiteConcurrency(self.redis, site.url, limits, lease=site.timeout + 5)

    def gateway(self) -> JiraGateway:
        # A fresh gateway per task, on the process's session: its call log counts that task's calls.
        # In shadow mode it holds back every write and records it in the audit trail.
        return JiraGateway.from_settings(self.settings, self.jira_session, audit=self.audit,
                                         concurrency=self.jira_concurrency)


def build_services(settings: Settings) -> WorkerServices:
    client = redis_connect.client(settings, connect_timeout=2, timeout=5)
    config_path = Path(settings.mapping_config) if settings.mapping_config else default_config_path()
    return WorkerServices(
        settings=settings,
        redis=client,
        deliveries=DeliveryStore(client, settings.dedupe_ttl_seconds, settings.delivery_ttl_seconds),
        audit=AuditTrail(client),
        live_config=LiveConfig(config_path, client),
    )


@functools.cache
def services() -> WorkerServices:
    return build_services(Settings.from_env())
