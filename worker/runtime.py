"""What a worker process needs, built once per process from Settings."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import redis

from worker.deliveries import DeliveryStore
from worker.jira.gateway import JiraGateway
from worker.settings import Settings


@dataclass
class WorkerServices:
    settings: Settings
    redis: redis.Redis
    deliveries: DeliveryStore

    def gateway(self) -> JiraGateway:
        # A fresh gateway per task: its call log then counts exactly that task's calls.
        return JiraGateway.from_settings(self.settings)


@functools.cache
def services() -> WorkerServices:
    settings = Settings.from_env()
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    return WorkerServices(
        settings=settings,
        redis=client,
        deliveries=DeliveryStore(client, settings.dedupe_ttl_seconds, settings.delivery_ttl_seconds),
    )
