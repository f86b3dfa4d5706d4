"""The whole product on loopback: the Jira simulator, gunicorn serving the web app, and a real
`celery worker` process, all on the test Redis."""
from __future__ import annotations

import os

import pytest
import redis

from jirasim.simulator import JiraSimulator
from tests.conftest import SECRET, editable_config_copy
from tests.integration import processes
from worker.embedded_redis import free_port

pytestmark = pytest.mark.integration

ADMIN_TOKEN = "integration-admin-token"
# Facts of a request that the shipped entitlement records entitle (Globex, EMEA).
ENTITLED = dict(sen="SEN-10000001", product="Jira Software", version="10.3.4", environment="Production",
                reporter="ops-admin@globex.example")
VISIBILITY_TIMEOUT = 12  # short, so a task lost with a SIGKILLed worker comes back within the test


@pytest.fixture(scope="module")
def web_port():
    return free_port()


@pytest.fixture(scope="module")
def sim(web_port):
    with JiraSimulator(webhook_url=f"http://127.0.0.1:{web_port}/webhooks/jira", secret=SECRET,
                       webhook_backoff=0.05) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    """A copy of the shipped mapping config that a test may edit while the stack runs."""
    return editable_config_copy(tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="module")
def stack_env(redis_url, sim, tmp_path_factory, config_file):
    log_dir = tmp_path_factory.mktemp("logs")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "CELERY_"))}
    env.update(REDIS_URL=redis_url, WEBHOOK_SECRET=SECRET, JIRA_URL=sim.url, JIRA_DEPLOYMENT="cloud",
               JIRA_EMAIL="psw@example.com", JIRA_API_TOKEN="integration-token",
               CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT), PSW_VAR_DIR=str(log_dir),
               ADMIN_TOKEN=ADMIN_TOKEN, MAPPING_CONFIG=str(config_file))
    return env


@pytest.fixture(scope="module")
def web(stack_env, web_port, tmp_path_factory):
    service = processes.web(stack_env, web_port, tmp_path_factory.mktemp("web"))
    yield service
    service.stop()


@pytest.fixture
def fresh(sim, redis_url):
    """Each test starts with an empty simulator and an empty Redis database."""
    sim.reset()
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def worker(fresh, web, stack_env, tmp_path):
    service = processes.worker(stack_env, tmp_path)
    yield service
    service.stop()
