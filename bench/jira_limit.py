"""Jira's rate limit as the ceiling: 4 worker nodes triage against a simulator that answers 429
past a site-wide rate, with the shared adaptive limit (worker/jira/concurrency.py) and without
it (JIRA_CONCURRENCY_MAX=0). Run: `python -m bench jira-limit`."""
from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import redis
import requests

from bench.e2e import SECRET, create_at_rate, start_simulator
from bench.report import machine, write_section
from tests.integration.processes import Service, web, worker
from worker.embedded_redis import free_port, private_or_named, with_db

NODES = 4
RATE_LIMIT = (30.0, 10)  # Jira calls per second for the whole site, and the burst
CREATED_PER_SECOND, SECONDS = 15, 8  # 3 calls a triage: 45 calls/s asked of a 30/s site
PROPERTY = "/properties/priority-support"


def run(limited: bool) -> dict:
    log_dir = Path(tempfile.mkdtemp(prefix="bench-jira-limit-"))
    redis_url, server = private_or_named(log_dir / "redis", os.environ.get("TEST_REDIS_URL"))
    redis_url = with_db(redis_url, 13)
    redis.Redis.from_url(redis_url).flushdb()
    web_port, sim_port = free_port(), free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    env = {**os.environ, "REDIS_URL": redis_url, "WEBHOOK_SECRET": SECRET, "JIRA_URL": sim_url,
           "JIRA_EMAIL": "psw@example.com", "JIRA_API_TOKEN": "bench", "JIRA_DEPLOYMENT": "cloud",
           "JIRA_CONCURRENCY_MAX": "8" if limited else "0"}
    env.pop("MAPPING_CONFIG", None)
    services: list[Service] = []
    try:
        sim = start_simulator(sim_port, web_port, log_dir, "jira:issue_created")
        services.append(sim)
        services.append(web(env, web_port, log_dir))
        for n in range(NODES):
            services.append(worker(env, log_dir, name=f"node{n}", concurrency=1))
        per_second, burst = RATE_LIMIT
        requests.post(f"{sim_url}/_sim/rate-limit", json={"per_second": per_second, "burst": burst},
                      timeout=10).raise_for_status()
        started = time.time()
        sent = create_at_rate(sim_url, CREATED_PER_SECOND, SECONDS)
        deadline = time.monotonic() + 180
        while True:
            calls = requests.get(f"{sim_url}/_sim/calls", timeout=60).json()["calls"]
            done = {c["path"].split("/")[-3]: c["at"] for c in calls
                    if c["method"] == "PUT" and c["path"].endswith(PROPERTY) and c["status"] < 300}
            if all(key in done for key in sent) or time.monotonic() > deadline:
                break
            time.sleep(1)
        limit = requests.get(f"{sim_url}/_sim/rate-limit", timeout=10).json()
        comments = Counter(c["path"].split("/")[-2] for c in calls
                           if c["method"] == "POST" and c["path"].endswith("/comment") and c["status"] < 300)
        finished = max(done.values()) if done else time.time()
        shared = redis.Redis.from_url(redis_url).hgetall(f"psw:jira:limit:127.0.0.1:{sim_port}")
    finally:
        for service in reversed(services):
            service.stop()
        redis.Redis.from_url(redis_url).flushdb()
        if server:
            server.stop()
    return {"limited": limited, "created": len(sent), "triaged": sum(1 for k in sent if k in done),
            "seconds": round(finished - started, 1), "per_second": round(len(done) / (finished - started), 2),
            "calls_answered": limit["allowed"], "429s": limit["refused"],
            "duplicate_comments": sum(n - 1 for n in comments.values() if n > 1),
            "final_limit": float(shared.get(b"limit", 0) or 0) if limited else None}


def main() -> list[dict]:
    results = []
    for limited in (False, True):
        results.append(run(limited))
        print(json.dumps(results[-1]), flush=True)
    rows = ["| shared limit | requests | triaged | seconds to the last triage | triages/s | Jira calls answered "
            "| 429s | 429s per triage | duplicate comments | limit at the end |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        rows.append(f"| {'adaptive (JIRA_CONCURRENCY_MAX=8)' if r['limited'] else 'off (JIRA_CONCURRENCY_MAX=0)'} | "
                    f"{r['created']} | {r['triaged']} | {r['seconds']} | {r['per_second']} | {r['calls_answered']} | "
                    f"{r['429s']} | {r['429s'] / max(1, r['triaged']):.2f} | {r['duplicate_comments']} | "
                    f"{format(r['final_limit'], '.1f') if r['final_limit'] is not None else '-'} |")
    off, on = results
    text = "\n".join([
        f"Run on {machine()}; load average {os.getloadavg()[0]:.1f} at the end (2 cores shared with other "
        f"work). {NODES} worker nodes (`celery worker`, concurrency 1 each, hostnames node0-node{NODES - 1}), one web "
        f"process, the simulator and Redis on loopback. The simulator answers 429 (Retry-After in whole seconds, "
        f"as Jira Cloud) past {RATE_LIMIT[0]:.0f} calls/s for the whole site (burst {RATE_LIMIT[1]}), whoever calls "
        f"(`jirasim/ratelimit.py`). Load: {CREATED_PER_SECOND} entitled L1 requests created per second for "
        f"{SECONDS} s (3 Jira calls a triage: {CREATED_PER_SECOND * 3} calls/s asked of a {RATE_LIMIT[0]:.0f}/s "
        f"site), created events only; each run waits until every request has its `priority-support` property.",
        "", *rows, "",
        f"With the shared limit the workers made {on['429s']} 429s against {off['429s']} without it, at "
        f"{on['per_second']} against {off['per_second']} triages/s (the site's ceiling is "
        f"{RATE_LIMIT[0] / 3:.0f} triages/s).",
    ])
    write_section("Jira's rate limit with 4 worker nodes (`python -m bench jira-limit`)", text)
    print(text)
    return results


if __name__ == "__main__":
    main()
