"""Fixtures shared by every test level.

Redis: a redis-server of the suite's own, started for the session on a free port, so two runs
on one machine never meet and a developer's Redis is never touched. TEST_REDIS_URL names one
to use instead (it gets flushed).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from worker.embedded_redis import private_or_named
from worker.settings import Settings

# Fixtures of more than one level: `responses`, a site per deployment, the bundled simulator.
pytest_plugins = ("tests.jira_fixtures", "tests.simulator_fixtures")

SECRET = "test-webhook-secret"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url, server = private_or_named(tmp_path_factory.mktemp("redis"), os.environ.get("TEST_REDIS_URL"))
    yield url
    if server:
        server.stop()


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    remembering_since(client, "2000-01-01T00:00:00+00:00")
    yield client
    client.close()


@pytest.fixture
def settings(redis_url, redis_client, tmp_path) -> Settings:
    return Settings.from_env({
        "REDIS_URL": redis_url,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_MAX_BYTES": str(64 * 1024),
        # The captured sample bodies are days old by their timestamp: no age window here (the
        # window's own tests set one: tests/component/test_replays_and_echoes.py).
        "WEBHOOK_MAX_AGE_SECONDS": "0",
        "PSW_VAR_DIR": str(tmp_path),
    })


@pytest.fixture
def app(settings):
    from app import create_app

    application = create_app(settings)
    application.testing = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def worker_services(monkeypatch, redis_url, redis_client):
    """Builds the worker's services from the environment, as a worker process does, for a fake
    Cloud site at the given URL (answered by `responses`)."""
    from worker import runtime

    def build(site_url: str):
        monkeypatch.setenv("REDIS_URL", redis_url)
        monkeypatch.setenv("JIRA_URL", site_url)
        monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
        monkeypatch.setenv("JIRA_API_TOKEN", "test-token")
        monkeypatch.delenv("MAPPING_CONFIG", raising=False)
        monkeypatch.delenv("SHADOW_MODE", raising=False)
        runtime.services.cache_clear()
        return runtime.services()

    yield build
    runtime.services.cache_clear()


def remembering_since(client, instant: str) -> None:
    """Redis has remembered deliveries and triages since `instant` (worker/triage.py reads an
    issue first only for requests created before it): the suite's Redis is an old one, unless a
    test wipes it."""
    client.set("psw:memory-since", instant)


def editable_config_copy(directory: Path) -> Path:
    """A copy of the shipped mapping config, its entitlement file still found, for a test to edit."""
    from worker.config.loader import default_config_path

    shipped = default_config_path()
    path = directory / "mapping.yaml"
    path.write_text(shipped.read_text().replace(
        "path: entitlements.yaml", f"path: {shipped.parent / 'entitlements.yaml'}"))
    return path


@pytest.fixture
def config_file(tmp_path) -> Path:
    return editable_config_copy(tmp_path)

