"""Fixtures shared by every test level.

Redis: REDIS_URL when set, else a Redis on 127.0.0.1:6379 if one answers, else an embedded
redis-server started for the session. Tests use their own database number and flush it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from worker.embedded_redis import EmbeddedRedis, answers
from worker.settings import Settings

TEST_DB = 13
SECRET = "test-webhook-secret"


def _with_db(url: str, db: int) -> str:
    base, _, tail = url.rpartition("/")
    return f"{base}/{db}" if tail.isdigit() and base.count("/") >= 2 else f"{url.rstrip('/')}/{db}"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    env_url = os.environ.get("REDIS_URL")
    if env_url:
        yield env_url
        return
    if answers("redis://127.0.0.1:6379/0"):
        yield _with_db("redis://127.0.0.1:6379/0", TEST_DB)
        return
    with EmbeddedRedis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def settings(redis_url, redis_client, tmp_path) -> Settings:
    return Settings.from_env({
        "REDIS_URL": redis_url,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_MAX_BYTES": str(64 * 1024),
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
def shared_dir() -> Path:
    """The read-only shared folder (policy docs, real Jira samples) beside the repo."""
    return Path(__file__).resolve().parents[2] / "shared"
