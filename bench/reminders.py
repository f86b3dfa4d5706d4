"""The reminder schedule at scale, against the Celery-ETA way it replaces (docs/DESIGN.md decision 4).

Run: `python -m bench.reminders` (or `make bench`). Uses database 11 of a Redis it starts (or
of TEST_REDIS_URL), and empties it before and after.

1. Schedule: 1,000,000 pending reminders (250,000 requests x 50/75/90/100 %, due over the next
   two weeks). Most go in by pipelined ZADD (bench set-up); 10,000 requests go through
   `schedule_for_decision`, the triage's own call, timed per call. Memory: MEMORY USAGE of the
   sorted set (exact, SAMPLES 0) per member; nothing else is kept per pending reminder.
2. Dispatch lag: 10,000 reminders fall due at one instant on top of the million; a beat loop ticks
   every DISPATCH_INTERVAL_SECONDS (at a random phase to that instant) and claims and queues them
   as the `dispatch_due` task does. Lag = time the reminder's task message was pushed minus its due
   instant. Rounds: one beat; two beats at once (two processes), where every queued message is
   decoded and counted to find duplicates.
3. Baseline: 10,000 Celery tasks sent with a countdown (the ETA way), the worker's settings but a
   visibility timeout of 10 s, consumed by a real `celery worker`: its memory while holding them,
   and how many times each task ran.
"""
from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import redis

from bench.report import machine, write_section
from tests.integration.processes import BIN, Service
from worker.audit import AuditTrail
from worker.celery_app import make_celery
from worker.config import default_config_path, load_config
from worker.embedded_redis import private_or_named, with_db
from worker.queueing import task_message
from worker.reminders import schedule_for_decision
from worker.queues import FIRE_REMINDER
from worker.reminders.dispatch import dispatch_due
from worker.settings import ReminderSettings
from worker.reminders.store import DUE, ReminderStore, member
from worker.settings import Settings

UTC = timezone.utc
DB = 11
QUEUE = "bench-reminders"
ETA_QUEUE = "bench-eta"
ETA_RUNS = "bench:eta:runs"
ETA_TASK = "bench.reminders.eta_probe"
AIM_BYTES, AIM_LAG_P99 = 250, 2.0
CODES = ("50", "75", "90", "100")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


class BenchServices:
    """What schedule_for_decision uses of worker.runtime.TaskServices."""

    def __init__(self, client: redis.Redis):
        self.redis = client
        self.audit = AuditTrail(client)
        self._config = load_config(default_config_path())

    def config(self):
        return self._config


def decision(config, key: str, created: datetime) -> dict:
    level, region = random.choice(("L1", "L2", "L3", "L4")), random.choice(("AMER", "EMEA", "APAC"))
    times = config.sla_policy().due(level, region, created)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    reminders = [{"at": at, "instant": instant.strftime(iso)} for at, instant in sorted(times.reminders.items())]
    reminders.append({"at": 1.0, "instant": times.due.strftime(iso)})
    return {"issue_key": key, "entitled": True, "level": level, "region": region,
            "created": created.strftime(iso), "due": times.due.strftime(iso), "reminders": reminders}


# -- 1. a million pending reminders -----------------------------------------------------------


def fill(client: redis.Redis, total: int, via_api: int) -> dict:
    now = datetime.now(UTC)
    horizon = 14 * 86400
    issues = total // len(CODES)
    bulk_issues = issues - via_api
    started = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for n in range(bulk_issues):
        base = now.timestamp() + 60 + random.random() * horizon
        pipe.zadd(DUE, {member(f"PS-{100000 + n}", code): round(base + i * 600, 3) for i, code in enumerate(CODES)})
        if n % 2000 == 1999:
            pipe.execute()
    pipe.execute()
    bulk_seconds = time.perf_counter() - started

    services = BenchServices(client)
    per_call = []
    for n in range(bulk_issues, issues):
        key = f"PS-{100000 + n}"
        prop = decision(services.config(), key, now + timedelta(minutes=1 + random.random() * 60 * 24 * 7))
        t0 = time.perf_counter()
        schedule_for_decision(services, key, prop, now)
        per_call.append(time.perf_counter() - t0)
    count = client.zcard(DUE)
    usage = client.memory_usage(DUE, samples=0)
    return {"reminders": count, "bytes": usage, "bytes_per": usage / count,
            "bulk_per_s": bulk_issues * len(CODES) / bulk_seconds, "bulk_s": bulk_seconds,
            "api_calls": len(per_call), "api_p50_ms": 1000 * percentile(per_call, 50),
            "api_p99_ms": 1000 * percentile(per_call, 99), "api_per_s": len(per_call) / sum(per_call)}


# -- 2. dispatch lag ---------------------------------------------------------------------------


def add_burst(client: redis.Redis, size: int, due: float, round_no: int) -> None:
    pipe = client.pipeline(transaction=False)
    for n in range(size):
        pipe.zadd(DUE, {member(f"BURST{round_no}-{n}", "75"): due})
    pipe.execute()


def beat_loop(redis_url: str, until: float, interval: float, phase: float, out) -> None:
    """A beat ticking every `interval` s from `phase`, each tick doing what `dispatch_due` does."""
    client = redis.Redis.from_url(redis_url)
    store = ReminderStore(client)
    app = make_celery(Settings.from_env({"REDIS_URL": redis_url}))
    settings = ReminderSettings.from_env()
    lags: list[float] = []
    queued, busy = 0, 0.0
    tick = phase
    while tick < until:
        time.sleep(max(0.0, tick - time.time()))
        started = time.time()
        result = dispatch_due(store, lambda name: task_message(app, FIRE_REMINDER, [name], QUEUE), QUEUE,
                              datetime.now(UTC), timedelta(seconds=settings.lease), batch=settings.dispatch_batch)
        if result.queued:
            busy += time.time() - started
        queued += result.queued
        for scores, pushed_at in result.batches:
            lags += [pushed_at - score for score in scores]
        tick += interval
    out.put((queued, lags, busy))


def dispatch_round(redis_url: str, client: redis.Redis, size: int, beats: int, interval: float,
                   round_no: int) -> dict:
    client.delete(QUEUE)
    due = time.time() + 2.0
    add_burst(client, size, due, round_no)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    phase = due - interval + random.random() * interval  # the beat's ticks fall anywhere around it
    procs = [ctx.Process(target=beat_loop, args=(redis_url, due + 2 * interval + 3, interval, phase, out))
             for _ in range(beats)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(10)
    names = Counter()
    for raw in client.lrange(QUEUE, 0, -1):
        envelope = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        names[args[0]] += 1
    burst = {name: n for name, n in names.items() if name.startswith(f"BURST{round_no}-")}
    lags = [lag for _, lag_list, _ in results for lag in lag_list]
    busy = max(b for _, _, b in results)
    client.zremrangebyscore("psw:reminders:claimed", "-inf", "+inf")
    client.delete(QUEUE)
    return {"beats": beats, "queued": sum(burst.values()), "unique": len(burst),
            "duplicates": sum(burst.values()) - len(burst), "missing": size - len(burst), "lags": lags,
            "busy": busy}


# -- 3. the Celery ETA baseline ----------------------------------------------------------------


def make_eta_app(redis_url: str):
    app = make_celery(Settings.from_env({"REDIS_URL": redis_url, "CELERY_VISIBILITY_TIMEOUT": "10"}))
    counter = redis.Redis.from_url(redis_url)

    @app.task(name=ETA_TASK, acks_late=True)
    def eta_probe(n: int) -> None:
        counter.hincrby(ETA_RUNS, str(n), 1)

    return app


def __getattr__(name: str):
    # `celery --app bench.reminders:eta_app worker` (the baseline's worker process).
    if name == "eta_app":
        return make_eta_app(os.environ["REDIS_URL"])
    raise AttributeError(name)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def eta_baseline(redis_url: str, client: redis.Redis, tasks: int, countdown: float, log_dir: Path) -> dict:
    client.delete(ETA_RUNS, ETA_QUEUE)
    env = {**os.environ, "REDIS_URL": redis_url, "CELERY_VISIBILITY_TIMEOUT": "10"}
    argv = [str(BIN / "celery"), "--app", "bench.reminders:eta_app", "worker", "--loglevel=WARNING",
            f"--queues={ETA_QUEUE}", "--concurrency=1", "--without-gossip", "--without-mingle",
            "--hostname=eta@%h"]
    worker = Service("eta-worker", argv, env, log_dir / "eta-worker.log").start()
    try:
        time.sleep(4)  # started and idle
        idle = rss_kib(worker.process.pid)
        app = make_eta_app(redis_url)
        sent = time.time()
        for n in range(tasks):
            app.send_task(ETA_TASK, args=[n], countdown=countdown, queue=ETA_QUEUE)
        peak, last_total, stable_since = idle, -1, time.time()
        while True:
            time.sleep(0.5)
            peak = max(peak, rss_kib(worker.process.pid))
            total = sum(int(v) for v in client.hvals(ETA_RUNS))
            if total != last_total:
                last_total, stable_since = total, time.time()
            if time.time() > sent + countdown + 5 and time.time() - stable_since > 8:
                break
            if time.time() > sent + countdown + 120:
                break
        runs = [int(v) for v in client.hvals(ETA_RUNS)]
    finally:
        worker.stop()
        client.delete(ETA_QUEUE)
    return {"tasks": tasks, "countdown": countdown, "idle_mib": idle / 1024, "peak_mib": peak / 1024,
            "per_task_bytes": (peak - idle) * 1024 / tasks, "ran": len(runs), "runs": sum(runs),
            "duplicates": sum(runs) - len(runs), "max_runs": max(runs or [0]), "missing": tasks - len(runs)}


# -- the report --------------------------------------------------------------------------------


def report(fill_result: dict, rounds: list[dict], eta: dict, interval: float, redis_version: str) -> str:
    one = [lag for r in rounds if r["beats"] == 1 for lag in r["lags"]]
    two = [lag for r in rounds if r["beats"] == 2 for lag in r["lags"]]
    burst = rounds[0]["queued"]
    rows = ["| dispatch | rounds | reminders queued | p50 lag (s) | p99 lag (s) | max lag (s) | duplicates | missing |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for beats, lags in ((1, one), (2, two)):
        chosen = [r for r in rounds if r["beats"] == beats]
        rows.append(f"| {beats} beat{'s at once' if beats > 1 else ''} | {len(chosen)} | "
                    f"{sum(r['queued'] for r in chosen):,} | {percentile(lags, 50):.2f} | "
                    f"{percentile(lags, 99):.2f} | {max(lags):.2f} | {sum(r['duplicates'] for r in chosen)} | "
                    f"{sum(r['missing'] for r in chosen)} |")
    p99 = percentile(one + two, 99)
    dups = sum(r["duplicates"] for r in rounds)
    busy = statistics.median(r["busy"] for r in rounds if r["beats"] == 1)
    f = fill_result
    schedule = (
        f"**Schedule.** {f['reminders']:,} pending reminders in the `psw:reminders:due` sorted set take "
        f"{f['bytes'] / 2**20:.1f} MiB: **{f['bytes_per']:.0f} bytes per pending reminder** (MEMORY USAGE, "
        f"exact; aim: under {AIM_BYTES}). A member is `<issue key>|<threshold>` (e.g. `PS-123456|75`) and "
        f"nothing else is stored per pending reminder. Set-up by pipelined ZADD: {f['bulk_per_s']:,.0f} "
        f"reminders/s. `schedule_for_decision` (the triage's call: fired-marks read, one MULTI replacing "
        f"the request's reminders, one audit entry) over {f['api_calls']:,} requests: p50 "
        f"{f['api_p50_ms']:.2f} ms, p99 {f['api_p99_ms']:.2f} ms per request ({f['api_per_s']:,.0f} "
        f"requests/s from one process).")
    dispatch = (
        f"**Dispatch lag.** {burst:,} reminders fall due at one instant, on top of the {f['reminders']:,} "
        f"pending ones; the beat ticks every {interval:g} s (DISPATCH_INTERVAL_SECONDS) at a random phase "
        f"to that instant; lag = task message pushed minus due instant, so it includes waiting for the "
        f"next tick. Claiming and queueing the {burst:,} took {busy:.2f} s of the beat's time (median of "
        f"the one-beat rounds; REMINDER_DISPATCH_BATCH {ReminderSettings().dispatch_batch} per script call).")
    verdict = (
        f"p99 {p99:.2f} s (aim: under {AIM_LAG_P99:g} s); {dups} duplicates with two beats at once "
        f"(every queued message decoded and counted).")
    baseline = (
        f"**Baseline: Celery countdown tasks.** {eta['tasks']:,} tasks sent with countdown "
        f"{eta['countdown']:g} s to a real `celery worker` (the worker's settings, visibility timeout 10 s). "
        f"The worker held them in memory: RSS {eta['idle_mib']:.0f} MiB idle, {eta['peak_mib']:.0f} MiB "
        f"at peak (~{eta['per_task_bytes']:,.0f} bytes per task sent, in the worker rather than "
        f"in Redis). Redis handed each one out again every visibility timeout while it waited: "
        f"{eta['runs']:,} runs of {eta['ran']:,} tasks, **{eta['duplicates']:,} duplicate runs** (up to "
        f"{eta['max_runs']} runs of one task), {eta['missing']} never ran. With the schedule, the "
        f"waiting reminders cost the workers nothing and each is queued once, when due.")
    lines = [f"`python -m bench.reminders` on {machine()}; Redis {redis_version}, one process per beat.",
             "", schedule, "", dispatch, "", *rows, "", verdict, "", baseline]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=1_000_000)
    parser.add_argument("--via-api", type=int, default=10_000, help="requests scheduled by schedule_for_decision")
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4, help="rounds per beat count")
    parser.add_argument("--eta-tasks", type=int, default=10_000)
    parser.add_argument("--countdown", type=float, default=30.0)
    parser.add_argument("--no-write", action="store_true", help="print, do not update docs/BENCHMARKS.md")
    args = parser.parse_args(argv)

    log_dir = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    url, server = private_or_named(log_dir / "redis", os.environ.get("TEST_REDIS_URL"))
    redis_url = with_db(url, DB)
    client = redis.Redis.from_url(redis_url)
    redis_version = client.info("server")["redis_version"]
    client.flushdb()
    interval = ReminderSettings.from_env().dispatch_interval
    try:
        print(f"scheduling {args.reminders:,} reminders ...", flush=True)
        fill_result = fill(client, args.reminders, args.via_api)
        rounds = []
        for beats in (1, 2):
            for r in range(args.rounds):
                print(f"dispatch round: {beats} beat(s), {args.burst:,} due at once ...", flush=True)
                rounds.append(dispatch_round(redis_url, client, args.burst, beats, interval, len(rounds)))
        client.flushdb()
        print(f"Celery countdown baseline: {args.eta_tasks:,} tasks, countdown {args.countdown:g} s ...", flush=True)
        eta = eta_baseline(redis_url, client, args.eta_tasks, args.countdown, log_dir)
    finally:
        client.flushdb()
        if server:
            server.stop()
    text = report(fill_result, rounds, eta, interval, redis_version)
    print(text)
    if not args.no_write:
        write_section("Reminders", text)
    ok = fill_result["bytes_per"] < AIM_BYTES and all(r["duplicates"] == 0 and r["missing"] == 0 for r in rounds) \
        and percentile([lag for r in rounds for lag in r["lags"]], 99) < AIM_LAG_P99
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
