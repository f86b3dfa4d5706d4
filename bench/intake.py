"""Signed webhooks per second and latency through gunicorn, against a bare Flask endpoint served
the same way. Run: `python -m bench.intake` (or `make bench` for every benchmark)."""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import redis

from app.signature import sign
from bench import load
from bench.report import machine, write_section
from tests.integration.processes import Service, BIN
from worker.embedded_redis import private_or_named, free_port, with_db

SECRET = "bench-intake-secret"
RATE = 500


def created_body(seq: int) -> bytes:
    issue = {"id": str(10000 + seq), "key": f"PS-{seq}", "self": f"https://example.atlassian.net/rest/api/2/issue/{10000 + seq}",
             "fields": {"summary": f"Production down {seq}", "created": "2026-11-26T10:00:00.000+0000",
                        "priority": {"name": "Highest", "id": "1"}, "labels": [],
                        "reporter": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Ada Admin"},
                        "customfield_10100": "SEN-12345678",
                        "customfield_10101": {"value": "L1 - Production down", "id": "10300"},
                        "customfield_10102": {"value": "Jira Software", "id": "10310"},
                        "customfield_10103": "10.3.1",
                        "customfield_10104": {"value": "Production", "id": "10320"},
                        "description": "x" * 2000}}
    return json.dumps({"timestamp": 1764151200000, "webhookEvent": "jira:issue_created",
                       "issue_event_type_name": "issue_created", "issue": issue}).encode()


def factory(run_id: str):
    def make(seq: int):
        body = created_body(seq)
        return "/webhooks/jira", body, {"Content-Type": "application/json",
                                        "X-Hub-Signature": sign(SECRET, body),
                                        "X-Atlassian-Webhook-Identifier": f"{run_id}-{seq}"}
    return make


def serve(app_spec: str, env: dict[str, str], log_dir: Path) -> tuple[Service, str]:
    port = free_port()
    argv = [str(BIN / "gunicorn"), "--config", "python:app.gunicorn_conf", app_spec]
    service = Service(app_spec, argv, {**env, "PORT": str(port)}, log_dir / f"{port}.log").start()
    url = f"http://127.0.0.1:{port}"
    service.wait_for_http(url + "/healthz")
    return service, url


def measure(url: str, run_id: str, duration: float) -> dict:
    make = factory(run_id)
    closed = load.run(url, make, duration=duration, total=200_000, processes=2, threads=4)
    opened = load.run(url, factory(run_id + "o"), duration=duration, total=int(RATE * duration),
                      rate=RATE, processes=2, threads=16)
    return {"max": closed.summary(), f"at_{RATE}": opened.summary()}


def main(duration: float = 10.0) -> dict:
    log_dir = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    redis_url, server = private_or_named(log_dir / "redis", os.environ.get("TEST_REDIS_URL"))
    redis_url = with_db(redis_url, 14)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    env = {**os.environ, "REDIS_URL": redis_url, "WEBHOOK_SECRET": SECRET, "WEB_CONCURRENCY": "2"}
    results = {}
    try:
        for name, spec in (("bare Flask endpoint (baseline)", "bench.bare_app:create_bare_app()"),
                           ("intake (verify, dedupe, store, queue)", "app:create_app()")):
            service, url = serve(spec, env, log_dir)
            try:
                results[name] = measure(url, f"{time.time_ns()}", duration)
            finally:
                service.stop()
        queued = client.llen("psw")
    finally:
        client.flushdb()
        if server:
            server.stop()
    base, intake = results.values()
    ratio = intake["max"]["per_second"] / base["max"]["per_second"]
    rows = ["| endpoint | max req/s | p50 at max (ms) | p99 at max (ms) | p50 at 500/s (ms) | p99 at 500/s (ms) | errors |",
            "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        m, o = r["max"], r[f"at_{RATE}"]
        rows.append(f"| {name} | {m['per_second']} | {m['p50_ms']} | {m['p99_ms']} | {o['p50_ms']} | "
                    f"{o['p99_ms']} | {m['errors'] + o['errors']} |")
    text = "\n".join([
        f"Run on {machine()}. gunicorn, 2 sync workers, on 127.0.0.1; the load generator (bench/load.py, "
        f"2 processes, a new connection per request) runs on the same 2 cores. 'max': closed loop, "
        f"{duration:.0f} s, 8 clients. 'at 500/s': open loop, {duration:.0f} s, latency from the scheduled send time. "
        f"Each intake request is a ~2.5 KB signed `jira:issue_created` with its own delivery id; "
        f"{queued} tasks were queued in Redis (no worker consumed them).",
        "", *rows, "",
        f"Intake throughput is {ratio:.0%} of the bare endpoint's (aim: at least 50 %). "
        f"p99 at 500/s: {intake[f'at_{RATE}']['p99_ms']} ms (aim: under 20 ms).",
    ])
    write_section("Webhook intake (`python -m bench.intake`)", text)
    print(text)
    return results


if __name__ == "__main__":
    main()
