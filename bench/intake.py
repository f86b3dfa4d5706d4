"""Signed webhooks per second through gunicorn, side by side with a bare Flask endpoint served the
same way, from keep-alive clients (as behind a proxy or load balancer) and with a new connection
per request. Run: `python -m bench intake` (or `make bench` for every benchmark). Needs `wrk`
(Debian: `apt-get install wrk`).

The machine may be shared: each round measures the two endpoints one right after the other
(alternating which goes first), and the verdict is the median of the rounds' ratios, so a load
that comes and goes lands on both sides of a ratio rather than on one endpoint's figure."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from app.signature import sign
from bench import cpu, load
from bench.report import machine, write_section
from tests.integration.processes import BIN, ROOT, Service
from worker.embedded_redis import free_port, private_or_named, with_db
from worker.queues import QUEUE

SECRET = "bench-intake-secret-0123456789"
FIXTURE = ROOT / "tests" / "fixtures" / "webhooks" / "cloud-issue-created.json"
SCRIPT = Path(__file__).with_name("intake.lua")
RATE = 500
CONNECTIONS, THREADS = 8, 2
WEB_PROCESSES = 2
ENDPOINTS = {"bare": ("bare Flask endpoint (baseline)", "bench.bare_app:create_bare_app()"),
             "intake": ("intake (verify, dedupe, store, queue)", "app:create_app()")}
MODES = {"keep-alive": "", "new connection": "close"}
AIM = 0.6


def created_body() -> bytes:
    """The Cloud `jira:issue_created` fixture as JSM sends it (one line), stamped now: the intake
    refuses bodies older than WEBHOOK_MAX_AGE_SECONDS."""
    body = json.loads(FIXTURE.read_text())
    body["timestamp"] = int(time.time() * 1000)
    return json.dumps(body).encode()


def serve(app_spec: str, env: dict[str, str], log_dir: Path) -> tuple[Service, str]:
    port = free_port()
    argv = [str(BIN / "gunicorn"), "--config", "python:app.gunicorn_conf", app_spec]
    service = Service(app_spec, argv, {**env, "PORT": str(port)}, log_dir / f"{port}.log").start()
    url = f"http://127.0.0.1:{port}"
    service.wait_for_http(url + "/healthz")
    return service, url


def wrk(url: str, run_id: str, body_file: Path, signature: str, close: str, seconds: float) -> dict:
    """One wrk run: CONNECTIONS connections on THREADS threads, every request its own delivery id."""
    argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--latency", "-s", str(SCRIPT),
            url, "--", run_id, str(body_file), signature, close]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["per_second"] = round(result["requests"] / result["seconds"], 1)
    result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
    return result


def open_loop(url: str, run_id: str, body: bytes, seconds: float) -> dict:
    """Latency at RATE requests/s (bench/load.py, open loop: from the scheduled send time)."""
    def make(seq: int):
        return "/webhooks/jira", body, {"Content-Type": "application/json", "X-Hub-Signature": sign(SECRET, body),
                                        "X-Atlassian-Webhook-Identifier": f"{run_id}-{seq}"}
    return load.run(url, make, duration=seconds, total=int(RATE * seconds), rate=RATE, processes=2,
                    threads=16).summary()


def measure(rounds: int, seconds: float) -> dict:
    log_dir = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    redis_url, server = private_or_named(log_dir / "redis", os.environ.get("TEST_REDIS_URL"))
    redis_url = with_db(redis_url, 14)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    body = created_body()
    body_file = log_dir / "body.json"
    body_file.write_bytes(body)
    signature = sign(SECRET, body)
    env = {**os.environ, "REDIS_URL": redis_url, "WEBHOOK_SECRET": SECRET,
           "WEB_CONCURRENCY": str(WEB_PROCESSES)}
    services: dict[str, tuple[Service, str]] = {}
    runs: dict[tuple[str, str], list[dict]] = {(e, m): [] for e in ENDPOINTS for m in MODES}
    try:
        for name, (_label, spec) in ENDPOINTS.items():
            services[name] = serve(spec, env, log_dir)
        groups = {name: service.process.pid for name, (service, _url) in services.items()}
        for name, (_service, url) in services.items():  # warm up: imports, first connections
            wrk(url, f"warm-{name}-{time.time_ns()}", body_file, signature, "", 1)
        for round_no in range(rounds):
            for mode, close in MODES.items():
                order = list(ENDPOINTS) if round_no % 2 == 0 else list(reversed(ENDPOINTS))
                for name in order:
                    queued_before = client.llen(QUEUE)
                    cpu_before = cpu.group_seconds(groups)
                    redis_before = cpu.process_seconds(server.process.pid) if server else 0.0
                    result = wrk(services[name][1], f"{name}-{round_no}-{time.time_ns()}", body_file,
                                 signature, close, seconds)
                    cpu_after = cpu.group_seconds(groups)
                    result["web_cpu_ms"] = cpu.per_event_ms(cpu_before, cpu_after, result["requests"])[name]
                    if server:
                        result["redis_cpu_ms"] = round((cpu.process_seconds(server.process.pid) - redis_before)
                                                       * 1000 / max(1, result["requests"]), 3)
                    result["queued"] = client.llen(QUEUE) - queued_before
                    runs[(name, mode)].append(result)
                    print(json.dumps({"endpoint": name, "mode": mode, "round": round_no, **result}), flush=True)
        latency = {name: open_loop(url, f"ol-{name}-{time.time_ns()}", body, seconds)
                   for name, (_service, url) in services.items()}
    finally:
        for service, _url in services.values():
            service.stop()
        client.flushdb()
        if server:
            server.stop()
    return {"runs": runs, "latency": latency, "body_bytes": len(body)}


def _median(values):
    return round(statistics.median(values), 3) if values else float("nan")


def summarise(measured: dict) -> tuple[list[str], dict[str, float]]:
    runs = measured["runs"]
    rows = ["| endpoint | connections | req/s (median) | req/s per round | p50 (ms) | p99 (ms) | web CPU ms/request "
            "| Redis CPU ms/request | not 202 | 202 answers not queued |",
            "|---|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    ratios = {}
    for mode in MODES:
        for name, (label, _spec) in ENDPOINTS.items():
            rs = runs[(name, mode)]
            not_202 = sum(sum(n for status, n in r["statuses"].items() if status != 202)
                          + r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"] for r in rs)
            # wrk counts only answers it read before its time ran out, so the queue may hold more.
            lost = sum(max(0, r["statuses"].get(202, 0) - r["queued"]) for r in rs) if name == "intake" else "-"
            rows.append(f"| {label} | {mode} | {_median([r['per_second'] for r in rs]):,.0f} | "
                        f"{', '.join(format(r['per_second'], ',.0f') for r in rs)} | {_median([r['p50_ms'] for r in rs])} | "
                        f"{_median([r['p99_ms'] for r in rs])} | {_median([r['web_cpu_ms'] for r in rs])} | "
                        f"{_median([r['redis_cpu_ms'] for r in rs]) if 'redis_cpu_ms' in rs[0] else '-'} | "
                        f"{not_202} | {lost} |")
        pairs = zip(runs[("intake", mode)], runs[("bare", mode)])
        ratios[mode] = [intake["per_second"] / bare["per_second"] for intake, bare in pairs]
    return rows, ratios


def main(argv: list[str] | None = None) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("bench intake needs wrk (Debian: apt-get install wrk)")
    rounds, seconds = 3, 5.0
    measured = measure(rounds, seconds)
    rows, ratios = summarise(measured)
    latency = measured["latency"]
    keep = ratios["keep-alive"]
    verdict = "met" if statistics.median(keep) >= AIM else "missed"
    load_note = os.getloadavg()[0]
    text = "\n".join([
        f"Run on {machine()}; load average {load_note:.1f} at the end (the 2 cores were shared with "
        f"other work: figures swing between rounds, so compare the two endpoints within a round). "
        f"Both endpoints run at once, each under gunicorn with the web process's own settings "
        f"(`app/gunicorn_conf.py`: {WEB_PROCESSES} gevent workers, `app/gunicorn_worker.py`) on 127.0.0.1; "
        f"Redis is the embedded redis-server with AOF. Load: `wrk -t{THREADS} -c{CONNECTIONS}` for "
        f"{seconds:.0f} s per run with `bench/intake.lua` (each request a signed {measured['body_bytes']:,}-byte "
        f"`jira:issue_created`, the Cloud fixture `tests/fixtures/webhooks/cloud-issue-created.json` on one line, "
        f"with a delivery id of its own); *keep-alive* reuses the {CONNECTIONS} connections, as a reverse proxy "
        f"or load balancer does; *new connection* sends `Connection: close`. {rounds} rounds, the two endpoints "
        f"back to back in each (alternating which goes first). CPU: the process group's user + system time "
        f"from /proc over the run, per request answered. *202 answers not queued*: 202 answers beyond the task "
        f"messages that reached the queue (no worker consumes them; 0 means every accepted delivery was queued).",
        "", *rows, "",
        f"**Intake / bare with keep-alive: {statistics.median(keep):.2f}** (median of the rounds: "
        f"{', '.join(f'{r:.2f}' for r in keep)}; aim at least {AIM}, {verdict}). With a new connection per "
        f"request: {statistics.median(ratios['new connection']):.2f} ("
        f"{', '.join(f'{r:.2f}' for r in ratios['new connection'])}). At {RATE}/s (open loop, bench/load.py, a new "
        f"connection per request, latency from the scheduled send time): intake p50 {latency['intake']['p50_ms']} ms, "
        f"p99 {latency['intake']['p99_ms']} ms (aim: under 20 ms); bare p99 {latency['bare']['p99_ms']} ms.",
    ])
    write_section("Webhook intake (`python -m bench.intake`)", text)
    print(text)
    return measured


if __name__ == "__main__":
    main()
