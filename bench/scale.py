"""Scale out on loopback: 1, 2 and 4 worker nodes (separate `celery worker` processes with their own
hostnames) plus 2 web processes and 2 beats, on a Redis behind Sentinel; triages per second at
each size and duplicates; then the primary Redis killed in the middle of a run. Run:
`python -m bench scale`."""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from bench.e2e import SECRET, create_at_rate, start_simulator
from bench.report import machine, write_section
from tests.integration.processes import BIN, Service, beat, worker
from tests.sentinel_cluster import SentinelCluster
from worker.embedded_redis import free_port

SIZES = (1, 2, 4)
CREATED_PER_SECOND, SECONDS = 30, 6
PROPERTY = "/properties/priority-support"


def triaged(sim_url: str) -> tuple[dict[str, float], Counter]:
    """Issue key -> when its property was written; comments posted per issue."""
    calls = requests.get(f"{sim_url}/_sim/calls", timeout=60).json()["calls"]
    done = {c["path"].split("/")[-3]: c["at"] for c in calls
            if c["method"] == "PUT" and c["path"].endswith(PROPERTY) and c["status"] < 300}
    comments = Counter(c["path"].split("/")[-2] for c in calls
                       if c["method"] == "POST" and c["path"].endswith("/comment") and c["status"] < 300)
    return done, comments


def wait_for(sim_url: str, keys, timeout: float = 120) -> tuple[dict[str, float], Counter]:
    deadline = time.monotonic() + timeout
    while True:
        done, comments = triaged(sim_url)
        if all(k in done for k in keys) or time.monotonic() > deadline:
            return done, comments
        time.sleep(1)


def run(log_dir: Path) -> dict:
    cluster = SentinelCluster(log_dir / "redis").start()
    web_port, sim_port = free_port(), free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    env = {**os.environ, **cluster.env, "WEBHOOK_SECRET": SECRET, "JIRA_URL": sim_url,
           "JIRA_EMAIL": "psw@example.com", "JIRA_API_TOKEN": "bench", "JIRA_DEPLOYMENT": "cloud"}
    env.pop("MAPPING_CONFIG", None)
    services: list[Service] = []
    nodes: list[Service] = []
    sizes = []
    try:
        services.append(start_simulator(sim_port, web_port, log_dir, "jira:issue_created"))
        argv = [str(BIN / "gunicorn"), "--config", "python:app.gunicorn_conf", "app:create_app()"]
        services.append(Service("web", argv, {**env, "PORT": str(web_port), "WEB_CONCURRENCY": "2"},
                                log_dir / "web.log").start())
        services[-1].wait_for_http(f"http://127.0.0.1:{web_port}/healthz")
        services += [beat(env, log_dir, name=f"beat{n}") for n in range(2)]
        for size in SIZES:
            while len(nodes) < size:
                nodes.append(worker(env, log_dir, name=f"node{len(nodes)}", concurrency=2))
            requests.post(f"{sim_url}/_sim/reset", timeout=10)
            sent = create_at_rate(sim_url, CREATED_PER_SECOND, SECONDS)
            done, comments = wait_for(sim_url, sent)
            first, last = min(sent.values()), max(done.values(), default=time.time())
            sizes.append({"nodes": size, "created": len(sent), "triaged": sum(k in done for k in sent),
                          "per_second": round(len(done) / max(0.1, last - first), 1),
                          "duplicate_comments": sum(n - 1 for n in comments.values() if n > 1)})
            print(json.dumps(sizes[-1]), flush=True)
        failover = fail_over(sim_url, cluster)
        print(json.dumps(failover), flush=True)
    finally:
        for service in reversed(nodes + services):
            service.stop()
        cluster.stop()
    return {"sizes": sizes, "failover": failover}


def fail_over(sim_url: str, cluster: SentinelCluster) -> dict:
    """Requests created for 2 x SECONDS; the primary killed half-way. Accepted deliveries (answered
    2xx by the intake, from the simulator's attempt log) must all be triaged, once."""
    requests.post(f"{sim_url}/_sim/reset", timeout=10)
    killed: dict[str, float] = {}
    timer = threading.Timer(SECONDS, lambda: killed.update(at=time.time(), port=cluster.kill_primary()))
    timer.start()
    sent = create_at_rate(sim_url, CREATED_PER_SECOND, 2 * SECONDS)
    timer.join()
    done, comments = wait_for(sim_url, sent, timeout=180)
    log = requests.get(f"{sim_url}/_sim/deliveries?bodies=false", timeout=30).json()
    by_id = {d["id"]: d["issue_key"] for d in log["deliveries"]}
    accepted = {by_id[a["delivery_id"]] for a in log["attempts"] if 200 <= (a.get("status") or 0) < 300}
    refused_after = [a for a in log["attempts"] if not 200 <= (a.get("status") or 0) < 300]
    answered_again = min((a["at"] for a in log["attempts"] if 200 <= (a.get("status") or 0) < 300
                          and a["at"] > killed["at"]), default=None) if refused_after else None
    triaged_again = min((at for at in done.values() if at > killed["at"]), default=None)
    return {"created": len(sent), "accepted": len(accepted), "accepted_lost": len(accepted - set(done)),
            "never_accepted": len(set(sent) - accepted),
            "duplicate_comments": sum(n - 1 for n in comments.values() if n > 1),
            "intake_refused": len(refused_after),
            "intake_back_after_s": round(answered_again - killed["at"], 1) if answered_again else 0.0,
            "first_triage_after_s": round(triaged_again - killed["at"], 1) if triaged_again else None}


def main() -> dict:
    result = run(Path(tempfile.mkdtemp(prefix="bench-scale-")))
    rows = ["| worker nodes | requests | triaged | triages/s | duplicate comments |", "|---:|---:|---:|---:|---:|"]
    rows += [f"| {s['nodes']} | {s['created']} | {s['triaged']} | {s['per_second']} | {s['duplicate_comments']} |"
             for s in result["sizes"]]
    f = result["failover"]
    text = "\n".join([
        f"Run on {machine()}; load average {os.getloadavg()[0]:.1f} at the end (2 cores shared with other work: "
        f"every process below shares them, so the rates show the machine's ceiling as much as the nodes'). "
        f"Redis: a primary, a replica and one Sentinel (tests/sentinel_cluster.py); the service reaches it "
        f"through Sentinel only. 2 web processes (gunicorn, WEB_CONCURRENCY=2), 2 beats, and 1, 2, then 4 "
        f"worker nodes (`celery worker`, concurrency 2, hostnames node0...), the simulator without a rate "
        f"limit. Each size: {CREATED_PER_SECOND} entitled requests created per second for {SECONDS} s, "
        f"triages/s from the first create to the last `priority-support` property.",
        "", *rows, "",
        f"**Failover.** {f['created']} requests created over {2 * SECONDS} s with {SIZES[-1]} nodes; the primary "
        f"was killed (SIGKILL) after {SECONDS} s. {f['accepted']} deliveries were accepted (2xx), "
        f"**{f['accepted_lost']} of them lost** (never triaged), **{f['duplicate_comments']} duplicate "
        f"comments**; {f['never_accepted']} never accepted (the simulator gave up after its retries while the "
        f"intake answered 503: {f['intake_refused']} refused attempts; the sweep triages those). The intake "
        f"answered again {f['intake_back_after_s']} s after the kill, the first triage after it came "
        f"{f['first_triage_after_s']} s after.",
    ])
    write_section("Scale out and Sentinel failover (`python -m bench scale`)", text)
    print(text)
    return result


if __name__ == "__main__":
    main()
