"""A worker-time process killed in the middle of a warm handoff (issue 13): the handoff is made
once. Real processes: the simulator, gunicorn, the triage worker, beat, two worker-time."""
from __future__ import annotations

import json
import time
from datetime import timedelta

from jirasim import catalogue as cat
from tests.integration import processes
from tests.integration.conftest import ENTITLED
from worker import clock
from worker.reminders.firing import LEASE


def handoff_comments(sim, key):
    return [c for c in sim.comments(key) if c["body"].startswith("Priority Support warm handoff")]


def test_a_worker_killed_mid_handoff_makes_it_once(sim, fresh, web, stack_env, tmp_path):
    started = [processes.worker(stack_env, tmp_path, name="triage")]
    try:
        # Three days back: whatever the day, at least one shift has ended since, so the triage
        # schedules the latest handoff, due at once (the catch-up).
        key = sim.create_request(severity="L1", created=clock.now() - timedelta(days=3), **ENTITLED)["issueKey"]
        sim.wait_for(lambda: fresh.zscore("psw:reminders:due", f"{key}|handoff") is not None, timeout=20)
        fresh.zrem("psw:reminders:due", f"{key}|100")  # the breach reminder would post first: out of the way
        # The handoff's comment answers slowly, so the worker is surely inside the handoff when it
        # dies; the simulator still stores it (as Jira may carry out a request whose caller died).
        sim.add_fault("POST", rf"/rest/servicedeskapi/request/{key}/comment$", status=None, delay=4.0, times=1)
        started.append(processes.beat(stack_env, tmp_path))
        doomed = processes.time_worker(stack_env, tmp_path, name="doomed")
        started.append(doomed)
        doomed.wait_for_log("Task worker.reminders.tasks.fire_reminder[", timeout=15)
        time.sleep(2.0)
        doomed.kill()  # SIGKILL: no ack, no release of the claim or the lock, no done mark
        sim.wait_for(lambda: handoff_comments(sim, key), timeout=10)
        started.append(processes.time_worker(stack_env, tmp_path, name="survivor"))

        def settled():
            entries = [json.loads(e) for e in fresh.lrange(f"psw:audit:{key}", 0, -1)]
            return [e for e in entries if e["kind"] == "handoff"]
        [entry] = sim.wait_for(settled, timeout=LEASE.total_seconds() + 20)
    finally:
        for service in reversed(started):
            service.stop()
    assert entry["outcome"] == "comment already posted; marked done"
    assert len(handoff_comments(sim, key)) == 1
    team = sim.issue(key)["fields"][cat.PS_TEAM_FIELD]["value"]
    assert f"hands this request to {team}" in handoff_comments(sim, key)[0]["body"]
    # The next handoff is on the schedule, after now.
    assert fresh.zscore("psw:reminders:due", f"{key}|handoff") > time.time()
