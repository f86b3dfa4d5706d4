"""A created request goes from JSM's webhook through the queue and a worker back into Jira."""
from __future__ import annotations

import time

import requests

from tests.integration import processes
from tests.integration.conftest import ENTITLED


def triaged(sim, key):
    return sim.properties(key).get("priority-support")


def property_writes(sim, key):
    return [c for c in sim.calls if c.method == "PUT" and c.path.endswith(f"/{key}/properties/priority-support")]


def test_created_request_is_triaged_within_10_seconds(sim, worker):
    started = time.monotonic()
    key = sim.create_request(severity="L1", summary="Production is down", **ENTITLED)["issueKey"]
    sim.wait_for(lambda: triaged(sim, key), timeout=10)
    elapsed = time.monotonic() - started
    issue = sim.issue(key)
    assert "priority-support" in issue["fields"]["labels"]
    assert triaged(sim, key)["level"] == "L1"
    assert elapsed < 10


def test_the_same_delivery_twice_gives_one_write(sim, worker, web_port):
    key = sim.create_request(severity="L2")["issueKey"]
    sim.wait_for(lambda: triaged(sim, key), timeout=10)
    [delivery] = [d for d in sim.deliveries if d.event == "jira:issue_created" and d.issue_key == key]
    sim.resend(delivery.id)
    sim.wait_for_webhooks()
    resent = [a for a in sim.delivery_attempts if a.delivery_id == delivery.id]
    assert [a.status for a in resent] == [202, 200]  # queued, then answered as a duplicate
    time.sleep(1.0)  # let a wrongly queued second triage run, if there were one
    assert len(property_writes(sim, key)) == 1


def test_a_worker_killed_mid_task_leaves_the_request_triaged_after_restart(sim, fresh, web, stack_env, tmp_path):
    first = processes.worker(stack_env, tmp_path, name="doomed")
    # The edit answers slowly, so the worker is surely inside the task when it dies.
    sim.add_fault("PUT", r"/rest/api/2/issue/PS-\d+$", status=None, delay=4.0, times=1)
    key = sim.create_request(severity="L1", **ENTITLED)["issueKey"]
    first.wait_for_log("Task worker.tasks.triage_request[", timeout=10)
    time.sleep(1.0)  # inside the slow edit now
    first.kill()  # SIGKILL to the whole process group: no chance to ack or requeue
    assert not triaged(sim, key)
    second = processes.worker(stack_env, tmp_path, name="survivor")
    try:
        sim.wait_for(lambda: triaged(sim, key), timeout=40)
    finally:
        second.stop()
    assert "priority-support" in sim.issue(key)["fields"]["labels"]
    assert len(sim.comments(key)) == 1


def test_health_and_metrics_answer(web, web_port, worker):
    base = f"http://127.0.0.1:{web_port}"
    assert requests.get(f"{base}/healthz", timeout=5).json() == {"status": "ok", "redis": "up"}
    assert "psw_webhooks_total" in requests.get(f"{base}/metrics", timeout=5).text
