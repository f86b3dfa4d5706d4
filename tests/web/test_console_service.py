"""The console's pages about the service (app/console/service_views.py) through the Flask test
client: health, config and entitlements. Sign-in is required, every form refuses a missing CSRF
token, and hostile input gets a clear message, never a 500."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
import time_machine

from app import create_app
from tests.web.test_console import NOW, TOKEN, console_app, csrf_of, sign_in, signed_in, web  # noqa: F401 (fixtures)
from worker.liveness import beat_tick, mark_consumed, worker_beat
from worker.queues import QUEUE, TIME_QUEUE
from worker.settings import ConsoleSettings


@pytest.mark.parametrize("path", ["/console/health"])
def test_the_service_pages_need_a_sign_in(web, path):
    resp = web.get(path)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/console/sign-in?next=")


# -- health ---------------------------------------------------------------------------------------


def _message(at: float) -> str:
    return json.dumps({"body": "", "headers": {"psw_queued_at": at}})


def test_health_shows_every_check_passing_with_queues_and_heartbeats(signed_in, redis_client):
    stamp = NOW.timestamp()
    worker_beat(redis_client, "psw@web-1", stamp - 4, ttl=120)
    worker_beat(redis_client, "psw-time@web-1", stamp - 2, ttl=120)
    beat_tick(redis_client, stamp - 1)
    mark_consumed(redis_client, stamp - 3)
    redis_client.lpush(QUEUE, _message(stamp - 12))
    resp = signed_in.get("/console/health")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and ">ready</span>" in page
    for check in ("redis", "worker", "beat", "queue_stalled", "queue_oldest", "reminders_waiting", "config"):
        assert f'<tr class="pass" data-check="{check}">' in page
    assert f'data-queue="{QUEUE}"><th scope="row"><code>{QUEUE}</code></th><td class="depth">1</td><td class="oldest">12 s</td>' in page
    assert f'data-queue="{TIME_QUEUE}"><th scope="row"><code>{TIME_QUEUE}</code></th><td class="depth">0</td><td class="oldest">-</td>' in page
    assert 'data-worker="psw@web-1"><th scope="row">psw@web-1</th><td>4 s ago</td>' in page
    assert 'data-worker="beat"><th scope="row">beat</th>\n        <td>1 s ago</td>' in page
    assert "No errors in the file on disk." in page


def test_health_names_what_fails_and_answers_503(signed_in, redis_client):
    stamp = NOW.timestamp()
    worker_beat(redis_client, "psw@web-1", stamp - 300, ttl=1000)  # silent for 5 minutes
    redis_client.lpush(TIME_QUEUE, _message(stamp - 400))
    redis_client.zadd("psw:reminders:due", {"PS-1|50": stamp - 90})
    resp = signed_in.get("/console/health")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 503 and ">not ready</span>" in page
    assert '<tr class="fail" data-check="worker">' in page and "no worker heartbeat in the last 30 s" in page
    assert '<tr class="fail" data-check="beat">' in page and "beat last ticked never" in page
    assert "the oldest queued task waits 400 s (limit 300 s)" in page
    assert "a due reminder waits 400 s to be claimed or fired (limit 60 s)" in page
    assert "1 task(s) queued and nothing consumed ever" in page
    assert '<tr class="fail" data-worker="psw@web-1">' in page and "silent past 30 s" in page
    assert "1 due" in page


def test_health_shows_the_config_files_errors_while_the_last_good_one_runs(settings, config_file):
    app = create_app(replace(settings, admin_token=TOKEN, mapping_config=str(config_file)))
    web = app.test_client()
    with time_machine.travel(NOW, tick=False):
        assert sign_in(web).status_code == 303
        good = app.extensions["psw"].live_config.current().version
        config_file.write_text(config_file.read_text().replace("calendar: regional", "calendar: regonal", 1))
        app.extensions["psw"].live_config.reload()
        page = web.get("/console/health").get_data(as_text=True)
    assert '<tr class="fail" data-check="config">' in page
    assert f"the last good config (version {good}) keeps running" in page
    assert f"Running version <code>{good}</code>, the last good one" in page
    assert "levels.L3.calendar: unknown calendar &#39;regonal&#39;" in page


def test_health_with_redis_down_is_a_page_of_failing_checks(settings):
    from worker.embedded_redis import free_port

    console = ConsoleSettings(trusted_proxies=("10.0.0.0/8",), proxy_user_header="X-Forwarded-User")
    app = create_app(replace(settings, admin_token=TOKEN, console=console,
                             redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    resp = app.test_client().get("/console/health", headers={"X-Forwarded-User": "ops@example.com"},
                                 environ_base={"REMOTE_ADDR": "10.1.2.3"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert '<tr class="fail" data-check="redis">' in page and "Redis does not answer (ConnectionError)" in page
    assert page.count("not judged: Redis does not answer") == 5
