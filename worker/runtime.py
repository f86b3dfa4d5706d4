"""What a process needs, assembled once per process from Settings by `build_services`: the
worker's (`services()`), the web's (app/__init__.py `WebServices`, the same with its Celery app)
and a command's next to the running service (worker/cli/retriage.py)."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

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


class TaskServices(Protocol):
    """What the reminder code (firing, schedule, the sweep) uses of a process's services:
    `Services`, or a test's stand-in of this shape (tests/component/conftest.py)."""

    settings: Settings
    redis: redis.Redis
    audit: AuditTrail

    def config(self) -> MappingConfig: ...

    def gateway(self) -> JiraGateway: ...


@dataclass(kw_only=True)
class Services:
    """Redis, the delivery store, the audit trail and the running config, with the Jira gateway
    and entitlement source built on first use; `build_services` makes them."""

    settings: Settings
    redis: redis.Redis
    deliveries: DeliveryStore
    audit: AuditTrail
    _sources: dict[str, EntitlementSource] = field(default_factory=dict)

    # The worker's Redis calls wait this long (connect, answer; seconds); the web's, less.
    redis_timeouts = (2, 5)

    @functools.cached_property
    def live_config(self) -> LiveConfig:
        # Loaded on first use, not at start: the web queues a created request with no config.
        path = self.settings.mapping_config or default_config_path()
        return LiveConfig(Path(path), self.redis)

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
        # One per process (built after the fork, on first use): connections stay open.
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


AnyServices = TypeVar("AnyServices", bound=Services)


def build_services(settings: Settings, kind: type[AnyServices] = Services, **extra: Any) -> AnyServices:  # type: ignore[assignment]
    """The one assembly of a process's services: `kind` is `Services` or a subclass, `extra` its
    own fields (the web's Celery app)."""
    connect, answer = kind.redis_timeouts
    client = redis_connect.client(settings, connect_timeout=connect, timeout=answer)
    return kind(settings=settings, redis=client, audit=AuditTrail(client),
                deliveries=DeliveryStore(client, settings.dedupe_ttl_seconds, settings.delivery_ttl_seconds,
                                        settings.redis_replica_acks),
                **extra)


@functools.cache
def services() -> Services:
    """The worker process's services, from the environment, built on first use (after the fork)."""
    return build_services(Settings.from_env())
