"""The reliability proof (issue 11): `python -m bench chaos` (`make chaos`; `--quick` for ~60 s).

Runs the whole service as the Procfile does (gunicorn web; every worker entry and beat under
`python -m worker.supervise`, as `psw run` does), on a redis-server of its own (AOF on, the
settings of deploy/redis.conf) on a free port, against the bundled Jira simulator in a process of
its own. Then, for about five minutes:

- people act through the simulator: JSM requests created (entitled L1/L2/L3 and not entitled
  ones), customers commenting, agents editing; the simulator sends the signed Cloud webhooks
  (created, updated, comment) as Jira does, each of them again under the same identifier (30 %)
  or as a new delivery (10 %);
- the simulator answers 20 % of the REST calls 429 (Retry-After 1), 10 % 500, and 5 % later
  than JIRA_TIMEOUT (seeded, jirasim/chaos.py);
- a worker process is SIGKILLed about every 20 s (the node's main process and a pool process by
  turns), Redis is `kill -9`ed and restarted twice, beat is killed once; the supervisors start
  them again, nobody else acts;
- after each fault, a fresh probe request is created, spared the simulator's injected faults
  (`chaos_spared`, jirasim/chaos.py): the seconds until it is triaged are the fault's healing
  time, the service's recovery (restart, queue, lost work queued again) and not the odds of the
  probe's own Jira calls; beat's is the seconds until the first reminder due after the kill is
  posted.

The mapping config is the shipped one with L1 and L2 targets shrunk to minutes on the 24x7
calendar, so their reminders fall inside the run. After the load it waits until every such
reminder is due, then counts from the simulator's state (bench/chaos_counts.py) and writes the
table into docs/RELIABILITY.md between `<!-- chaos:begin -->` and `<!-- chaos:end -->`.
"""
from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import re
import shlex
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import redis
import requests
import yaml

from bench.chaos_counts import Counts, count, issue_state, percentile, reminder_comments
from bench.report import machine
from tests.integration.processes import ROOT, Service, children
from worker.cli.run import SUPERVISED, _procfile
from worker.config import default_config_path, load_config
from worker.embedded_redis import EmbeddedRedis, answers, free_port

UTC = timezone.utc
SECRET = "chaos-run-webhook-secret-0123456789"
DOC = ROOT / "docs" / "RELIABILITY.md"
BEGIN, END = "<!-- chaos:begin -->", "<!-- chaos:end -->"
HEAL_AIM = 60.0
JIRA_TIMEOUT = 2.0
SWEEP_SECONDS = 60
# Worker processes per node (triage and time lane alike): Jira failing a third of the calls, 5 %
# of them after JIRA_TIMEOUT, keeps each process waiting; the defaults (2) fall minutes behind.
CONCURRENCY = 6


@dataclass(frozen=True)
class Profile:
    name: str
    duration: float  # seconds of load
    rate: float  # requests created per second
    worker_kills: tuple[float, ...]  # seconds into the load
    redis_kills: tuple[float, ...]
    beat_kills: tuple[float, ...]
    l1_target: str
    l2_target: str
    redis_down: float = 3.0  # seconds between the kill and the restart


FULL = Profile("full", 300, 1.5, tuple(float(t) for t in range(20, 300, 20)), (95.0, 215.0), (155.0,),
               "2m", "2m30s")
QUICK = Profile("quick", 60, 1.0, (12.0,), (27.0,), (42.0,), "1m", "1m15s")

# People: who raises what (SEN, product, version, severity), in shares. The shipped entitlement
# records decide: SEN-10000001 and -05 are entitled, -03's maintenance has expired, -99999999 is
# unknown. L3 requests are entitled but their reminders fall beyond the run.
KINDS = (
    (0.35, "L1 entitled", dict(sen="SEN-10000001", product="Jira Software", version="10.3.4",
                               environment="Production", severity="L1"), "ops-admin@globex.example"),
    (0.20, "L2 entitled", dict(sen="SEN-10000005", product="Bitbucket", version="9.4.1",
                               environment="Production", severity="L2"), "git-admin@stark.example"),
    (0.15, "L3 entitled", dict(sen="SEN-10000001", product="Jira Software", version="10.3.4",
                               environment="Staging", severity="L3"), "ops-admin@globex.example"),
    (0.15, "expired", dict(sen="SEN-10000003", product="Confluence", version="9.2.1",
                           environment="Production", severity="L1"), "wiki-admin@umbrella.example"),
    (0.10, "unknown SEN", dict(sen="SEN-99999999", product="Jira Software", version="10.3.4",
                               environment="Production", severity="L2"), "someone@example.org"),
    (0.05, "no SEN", dict(product="Jira Software", version="10.3.4", severity="L3"), "someone@example.org"),
)
PROBE = KINDS[0]


def log(line: str) -> None:
    print(f"[chaos {datetime.now(UTC):%H:%M:%S}] {line}", flush=True)


# -- the stack ---------------------------------------------------------------------------------


def wait_http(service: Service, url: str, timeout: float = 60.0) -> None:
    """Like Service.wait_for_http, but a slow first answer on a busy machine is waited out too."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            if service.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{service.name} not answering at {url}:\n{service.log()[-3000:]}")
            time.sleep(0.2)


class Stack:
    def __init__(self, run_dir: Path, profile: Profile):
        self.run_dir, self.profile = run_dir, profile
        self.services: dict[str, Service] = {}
        self.redis = EmbeddedRedis(run_dir / "redis")
        self.web_port, self.sim_port = free_port(), free_port()
        self.sim_url = f"http://127.0.0.1:{self.sim_port}"
        self.config_path = run_dir / "mapping.yaml"

    def write_config(self) -> None:
        raw = yaml.safe_load(default_config_path().read_text())
        raw["levels"]["L1"].update(target=self.profile.l1_target, calendar="24x7")
        raw["levels"]["L2"].update(target=self.profile.l2_target, calendar="24x7")
        raw["entitlement"]["path"] = str(default_config_path().parent / raw["entitlement"]["path"])
        self.config_path.write_text("# The shipped config, L1 and L2 shrunk for a chaos run (bench/chaos.py).\n"
                                    + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
        self.config = load_config(self.config_path)

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("JIRA_", "CELERY_", "REDIS_", "PSW_", "RECONCILE_", "READY_", "REMINDER",
                                     "WEB_", "WORKER_", "DISPATCH_", "MAPPING_", "WEBHOOK", "PROMETHEUS_"))}
        metrics = self.run_dir / "metrics"
        metrics.mkdir(exist_ok=True)
        return {**keep, "REDIS_URL": self.redis.url, "WEBHOOK_SECRET": SECRET, "JIRA_URL": self.sim_url,
                "JIRA_DEPLOYMENT": "cloud", "JIRA_EMAIL": "psw@example.com", "JIRA_API_TOKEN": "chaos",
                "JIRA_TIMEOUT": str(JIRA_TIMEOUT), "MAPPING_CONFIG": str(self.config_path),
                "PSW_VAR_DIR": str(self.run_dir), "PROMETHEUS_MULTIPROC_DIR": str(metrics),
                "PORT": str(self.web_port), "WEB_CONCURRENCY": "2", "WORKER_CONCURRENCY": str(CONCURRENCY),
                "TIME_WORKER_CONCURRENCY": str(CONCURRENCY),
                # The sweep, shrunk like the targets: every minute, for requests a minute old.
                "RECONCILE_INTERVAL_SECONDS": str(SWEEP_SECONDS), "RECONCILE_GRACE_MINUTES": "1",
                "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}

    def start(self) -> None:
        self.write_config()
        self.redis.start()
        secret_file = self.run_dir / "sim-secret"
        secret_file.write_text(SECRET)
        # Jira Cloud retries a failed delivery several times over minutes; 1 s doubling (1+2+4+8 s)
        # is shorter, and still outlasts a Redis restart.
        sim = Service("jira-sim", [sys.executable, "-m", "jirasim", "--port", str(self.sim_port), "--quiet",
                                   "--secret-file", str(secret_file), "--webhook-backoff", "1",
                                   "--webhook-url", f"http://127.0.0.1:{self.web_port}/webhooks/jira"],
                      dict(os.environ), self.run_dir / "jira-sim.log").start()
        wait_http(sim, f"{self.sim_url}/_sim/clock")
        self.services["jira-sim"] = sim
        env = self.env()
        for name, command in _procfile(ROOT).items():
            if name == "flower":
                continue
            argv = ["/bin/sh", "-c", "exec " + command]
            if name in SUPERVISED or name.startswith("worker"):
                argv = [sys.executable, "-m", "worker.supervise", "--name", name, "--", *argv]
            self.services[name] = Service(name, argv, env, self.run_dir / f"{name}.log").start()
        wait_http(self.services["web"], f"http://127.0.0.1:{self.web_port}/healthz")
        for name in self.workers():
            self.services[name].wait_for_log("ready.", timeout=90)
        log(f"stack up: {', '.join(self.services)}; Redis {self.redis.url}; logs in {self.run_dir}")

    def workers(self) -> list[str]:
        return [n for n in self.services if n.startswith("worker")]

    def main_pid(self, name: str) -> int | None:
        """The supervised process itself (the supervisor's child)."""
        kids = children(self.services[name].process.pid)
        return kids[0] if kids else None

    def kill_worker(self, name: str, pool: bool) -> str | None:
        main = self.main_pid(name)
        if main is None:
            return None  # the supervisor is between restarts
        target = main
        if pool:
            pool_kids = children(main)
            if not pool_kids:
                return None
            target = random.choice(pool_kids)
        os.kill(target, signal.SIGKILL)
        return f"{name} {'pool process' if pool else 'main process'} {target}"

    def kill_beat(self) -> str:
        pid = self.main_pid("beat")
        if pid is None:
            return "beat: not running"
        os.kill(pid, signal.SIGKILL)
        return f"beat {pid}"

    def kill_redis(self, down: float) -> str:
        pid = self.redis.process.pid
        os.kill(pid, signal.SIGKILL)
        self.redis.process.wait(5)
        time.sleep(down)
        self.redis.start()
        return f"redis-server {pid}, restarted after {down:g} s"

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()
        self.redis.stop()


# -- the simulator's control API ----------------------------------------------------------------


class Sim:
    def __init__(self, url: str):
        self.url = url
        self.local = threading.local()

    @property
    def http(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def create(self, kind, summary: str, spared: bool = False) -> str:
        """`spared`: its /rest calls meet none of the simulator's injected faults (a probe)."""
        _, _, facts, caller = kind
        from jirasim.catalogue import sample_request_fields

        body = {"serviceDeskId": "1", "requestTypeId": "2", "caller": caller, "chaos_spared": spared,
                "requestFieldValues": sample_request_fields(summary=summary, **facts)}
        answer = self.http.post(f"{self.url}/_sim/requests", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()["issueKey"]

    def comment(self, key: str, author: str, body: str) -> None:
        self.http.post(f"{self.url}/_sim/issues/{key}/comments", json={"body": body, "public": True,
                                                                       "author": author}, timeout=30)

    def edit(self, key: str, fields: dict) -> None:
        self.http.post(f"{self.url}/_sim/issues/{key}/edit", json={"fields": fields}, timeout=30)

    def issue(self, key: str) -> dict:
        answer = self.http.get(f"{self.url}/_sim/issues/{key}", timeout=30)
        answer.raise_for_status()
        return answer.json()

    def triaged(self, key: str) -> bool:
        return "priority-support" in (self.issue(key).get("properties") or {})

    def keys(self) -> list[str]:
        return self.http.get(f"{self.url}/_sim/issues", timeout=30).json()["keys"]

    def chaos(self, body: dict | None = None) -> dict:
        if body is None:
            return self.http.get(f"{self.url}/_sim/chaos", timeout=30).json()
        answer = self.http.post(f"{self.url}/_sim/chaos", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def deliveries(self) -> dict:
        return self.http.get(f"{self.url}/_sim/deliveries", params={"bodies": "false"}, timeout=120).json()

    def wait_idle(self, timeout: float) -> bool:
        answer = self.http.post(f"{self.url}/_sim/deliveries/wait", json={"timeout": timeout}, timeout=timeout + 30)
        return answer.status_code == 200


# -- load, faults, probes ------------------------------------------------------------------------


@dataclass
class Fault:
    kind: str  # worker-main, worker-pool, redis, beat
    at: float  # time.time() when it struck
    detail: str
    probe: str | None = None
    healed_at: float | None = None

    @property
    def heal_seconds(self) -> float | None:
        return None if self.healed_at is None else self.healed_at - self.at


@dataclass
class Run:
    started: float = 0.0
    load_ended: float = 0.0
    created: dict[str, str] = field(default_factory=dict)  # key -> kind label
    actions: Counter = field(default_factory=Counter)
    faults: list[Fault] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)  # probe triage seconds with no fault near
    lock: threading.Lock = field(default_factory=threading.Lock)


def plan_load(profile: Profile, rng: random.Random) -> list[tuple[float, int, str, tuple]]:
    """(seconds into the load, seq, action, args): creates at the profile's rate, and, for some of
    the requests, a customer comment, agents' summary edits (1.6 a request on average: cheap for
    the service, the intake answers them `ignored`) or an agent's priority change."""
    plan: list[tuple[float, int, str, tuple]] = []
    total = int(profile.duration * profile.rate)
    weights = [k[0] for k in KINDS]
    for n in range(total):
        at = n / profile.rate + rng.uniform(0, 0.5 / profile.rate)
        kind = rng.choices(range(len(KINDS)), weights)[0]
        plan.append((at, len(plan), "create", (n, kind)))
        if rng.random() < 0.3:
            plan.append((at + rng.uniform(5, 40), len(plan), "comment", (n,)))
        for _ in range(rng.choice((0, 1, 2, 2, 3))):  # agents edit a request now and then
            plan.append((at + rng.uniform(5, 60), len(plan), "edit-summary", (n,)))
        if rng.random() < 0.1:
            plan.append((at + rng.uniform(10, 40), len(plan), "edit-priority", (n,)))
    heapq.heapify(plan)
    return plan


def drive_load(sim: Sim, run: Run, profile: Profile, rng: random.Random, stop: threading.Event) -> None:
    plan = plan_load(profile, rng)
    keys: dict[int, str] = {}
    lock = threading.Lock()
    work: list = []
    cond = threading.Condition()

    def act(action: str, args: tuple) -> None:
        try:
            if action == "create":
                n, kind = args
                key = sim.create(KINDS[kind], f"Chaos request {n}: {KINDS[kind][1]}")
                with lock:
                    keys[n] = key
                with run.lock:
                    run.created[key] = KINDS[kind][1]
            else:
                (n,) = args
                with lock:
                    key = keys.get(n)
                if key is None:
                    return
                if action == "comment":
                    kind = KINDS[next(i for i, k in enumerate(KINDS) if k[1] == run.created[key])]
                    sim.comment(key, kind[3], "Any news? We are still affected.")
                elif action == "edit-summary":
                    sim.edit(key, {"summary": f"Chaos request {n} (edited by an agent)"})
                else:
                    sim.edit(key, {"priority": {"name": "High"}})
            with run.lock:
                run.actions[action] += 1
        except requests.RequestException as exc:
            log(f"load: {action} {args} failed: {exc}")

    def pool() -> None:
        while True:
            with cond:
                while not work and not stop.is_set():
                    cond.wait(0.2)
                if not work:
                    return
                action, args = work.pop(0)
            act(action, args)

    threads = [threading.Thread(target=pool, daemon=True) for _ in range(6)]
    for t in threads:
        t.start()
    t0 = run.started
    while plan and not stop.is_set():
        at, _seq, action, args = plan[0]
        wait = t0 + at - time.time()
        if wait > 0:
            time.sleep(min(wait, 0.2))
            continue
        heapq.heappop(plan)
        with cond:
            work.append((action, args))
            cond.notify()
    stop.set()
    for t in threads:
        t.join(60)


def probe(sim: Sim, label: str, timeout: float = 300.0) -> tuple[str, float | None]:
    """Create a fresh entitled L1 request, spared Jira's injected faults; (key, time.time() it was
    seen triaged, or None)."""
    key = sim.create(PROBE, f"Chaos probe: {label}", spared=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if sim.triaged(key):
                return key, time.time()
        except requests.RequestException:
            pass
        time.sleep(0.25)
    return key, None


def run_faults(stack: Stack, sim: Sim, run: Run, profile: Profile, stop: threading.Event) -> list[threading.Thread]:
    events = sorted([(t, "worker") for t in profile.worker_kills] + [(t, "redis") for t in profile.redis_kills]
                    + [(t, "beat") for t in profile.beat_kills])
    probes: list[threading.Thread] = []
    worker_kills = 0
    baseline_at = [t + 10.0 for t, kind in events if kind == "worker"][::3]  # quiet moments between faults
    queue = sorted([(t, kind) for t, kind in events] + [(t, "baseline") for t in baseline_at])
    for offset, kind in queue:
        wait = run.started + offset - time.time()
        if wait > 0 and stop.wait(wait):
            break
        if kind == "baseline":
            def baseline() -> None:
                started = time.time()
                _key, seen = probe(sim, "baseline")
                if seen is not None:
                    run.baseline.append(seen - started)
            probes.append(threading.Thread(target=baseline, daemon=True))
            probes[-1].start()
            continue
        at = time.time()
        if kind == "worker":
            # By turns: a node's main process, the other node's pool process, that node's main
            # process, the first node's pool process... so that a pool kill never meets a node
            # still starting after its main process was killed 20 s before.
            workers = stack.workers()
            pool = worker_kills % 2 == 1 and profile.name != "quick"
            name = workers[((worker_kills + 1) // 2) % len(workers)]
            detail = stack.kill_worker(name, pool)
            kind = "worker-pool" if pool else "worker-main"
            worker_kills += 1
            if detail is None:
                log(f"fault: {kind} of {name} skipped: nothing to kill (still starting)")
                continue
        elif kind == "redis":
            detail = stack.kill_redis(profile.redis_down)
        else:
            detail = stack.kill_beat()
        fault = Fault(kind, at, detail)
        run.faults.append(fault)
        log(f"fault: {kind}: {detail}")
        if kind != "beat":
            def heal(fault=fault) -> None:
                fault.probe, fault.healed_at = probe(sim, f"after {fault.kind} at {fault.at:.0f}")
            probes.append(threading.Thread(target=heal, daemon=True))
            probes[-1].start()
    return probes


# -- the run -------------------------------------------------------------------------------------


def queue_length(url: str) -> int | None:
    try:
        return redis.Redis.from_url(url, socket_timeout=2).llen("psw")
    except redis.RedisError:
        return None


def run_chaos(profile: Profile, seed: int, run_dir: Path) -> dict:
    rng = random.Random(seed)
    stack = Stack(run_dir, profile)
    sim = Sim(stack.sim_url)
    run = Run()
    try:
        stack.start()
        sim.chaos({"seed": seed, "rate_limited": 0.20, "retry_after": 1, "server_error": 0.10,
                   "slow": 0.05, "slow_seconds": JIRA_TIMEOUT + 1.0, "resend_same": 0.30, "resend_new": 0.10})
        stop = threading.Event()
        run.started = time.time()
        log(f"load for {profile.duration:g} s at {profile.rate:g} requests/s (seed {seed})")
        loader = threading.Thread(target=drive_load, args=(sim, run, profile, rng, stop), daemon=True)
        ticker_stop = threading.Event()
        peak = [0]

        def watch_queue() -> None:
            while not ticker_stop.wait(5):
                length = queue_length(stack.redis.url)
                peak[0] = max(peak[0], length or 0)
                log(f"queue {length}, created {len(run.created)}, faults {len(run.faults)}")

        threading.Thread(target=watch_queue, daemon=True).start()
        loader.start()
        probes = run_faults(stack, sim, run, profile, stop)
        loader.join()
        run.load_ended = time.time()
        longest = max(stack.config.levels[level].target for level in ("L1", "L2")).total_seconds()
        settle = run.load_ended + longest + HEAL_AIM + 15
        log(f"load done: {len(run.created)} requests; waiting {settle - time.time():.0f} s for the last reminders")
        for thread in probes:
            thread.join(max(1.0, settle - time.time()))
        while time.time() < settle:
            time.sleep(1)
        sim.wait_idle(60)
        drained = time.time() + 60
        while (queue_length(stack.redis.url) or 0) > 0 and time.time() < drained:
            time.sleep(1)
        ticker_stop.set()
        chaos = sim.chaos()
        sim.chaos({})  # the count reads the simulator undisturbed
        collected = time.time()
        state = {key: sim.issue(key) for key in sim.keys()}
        deliveries = sim.deliveries()
    finally:
        stack.stop()
    (run_dir / "state.json").write_text(json.dumps({"issues": state, "chaos": chaos}, default=str))
    cutoff = datetime.fromtimestamp(collected - HEAL_AIM, UTC)
    issues = [issue_state(raw) for raw in state.values()]
    counts = count(issues, stack.config, cutoff, late_after=HEAL_AIM)
    beat_heals(run, issues)
    restarts = Counter()
    for path in run_dir.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            found = re.search(r"psw supervise (\S+): exited with code (-?\d+)", line)
            if found:
                restarts[f"{found.group(1)} exit {found.group(2)}"] += 1
            if "CRITICAL" in line:
                restarts[f"{path.stem} CRITICAL: {line.split('CRITICAL', 1)[1][:90].strip(' /:')}"] += 1
    return {"profile": profile, "seed": seed, "run": run, "counts": counts, "chaos": chaos, "restarts": restarts,
            "webhooks": webhook_figures(deliveries), "peak_queue": peak[0], "run_dir": run_dir,
            "collected": collected}


def beat_heals(run: Run, issues) -> None:
    """Beat's healing: from the kill to the first reminder due after it being posted."""
    posted = []
    for issue in issues:
        for times in reminder_comments(issue).values():
            posted.append(min(times).timestamp())
    for fault in run.faults:
        if fault.kind == "beat":
            later = [p for p in posted if p > fault.at]
            fault.healed_at = min(later) if later else None
            fault.probe = "first reminder posted"


def webhook_figures(deliveries: dict) -> dict:
    listed = deliveries["deliveries"]
    attempts = deliveries["attempts"]
    ok = Counter(a["delivery_id"] for a in attempts if a["status"] and 200 <= a["status"] < 300)
    tried = Counter(a["delivery_id"] for a in attempts)
    sends = len(ok)  # deliveries that got an answer at least once
    answered = sum(ok.values())
    return {"deliveries": len(listed), "by_event": Counter(d["event"] for d in listed),
            "new_id_copies": sum(1 for d in listed if d["copy_of"]),
            "answered_2xx": answered, "attempts": len(attempts),
            "never_answered": sum(1 for d in listed if d["id"] in tried and d["id"] not in ok),
            "delivered": sends,
            "statuses": Counter(str(a["status"]) for a in attempts)}


# -- the report ----------------------------------------------------------------------------------


def _secs(value: float | None) -> str:
    return "not healed" if value is None else f"{value:.1f}"


def report(result: dict) -> tuple[str, bool]:
    profile: Profile = result["profile"]
    run: Run = result["run"]
    counts: Counts = result["counts"]
    hooks = result["webhooks"]
    injected = result["chaos"]["counts"]
    heals = [f.heal_seconds for f in run.faults]
    worst = max((h for h in heals if h is not None), default=None)
    healed_all = all(h is not None and h < HEAL_AIM for h in heals)
    # Passed-over thresholds are shown, not judged: with targets shrunk to minutes the gap between
    # two thresholds is 12-75 s, so any retry can pass one over, where a real 1 h target leaves 6 min.
    # The aims are the issue's: nothing lost, no comment twice, no reminder missed or doubled, every
    # fault healed in time. A reminder posted late is shown beside them (its lateness is a figure of
    # how slow a failing Jira makes a firing), not judged as missed.
    ok = (counts.lost == 0 and not counts.duplicate_comments and not counts.missed and not counts.doubled
          and not counts.unexpected and not counts.early and healed_all)
    by_kind: dict[str, list[float | None]] = {}
    for f in run.faults:
        by_kind.setdefault(f.kind, []).append(f.heal_seconds)
    lat = counts.lateness
    attempts_429 = hooks["statuses"].get("429", 0)
    rows = [
        "| measure | result | aim |",
        "|---|---:|---|",
        f"| requests created (probes included) | {counts.requests} | |",
        f"| requests never triaged (no property or no triage comment) | **{counts.lost}** | 0 |",
        f"| time to triage p50 / p99 / max (s), creation to the triage comment | "
        f"{_fmt(percentile(counts.triage_seconds, 50))} / {_fmt(percentile(counts.triage_seconds, 99))} / "
        f"{_fmt(max(counts.triage_seconds) if counts.triage_seconds else None)} | |",
        f"| requests triaged more than {HEAL_AIM:g} s after creation | {len(counts.triaged_late)} | |",
        f"| duplicate internal triage comments | **{sum(n - 1 for _, _, n in counts.duplicate_comments)}** | 0 |",
        f"| reminders due by the end / posted | {counts.reminders_expected} / {counts.reminders_fired} | |",
        f"| reminders missed | **{len(counts.missed)}** | 0 |",
        f"| reminders passed over after a late triage (policy: only the highest passed fires) | "
        f"{len(counts.superseded_by_triage)} | |",
        f"| reminders passed over because their firing came after the next threshold's instant | "
        f"{len(counts.superseded_by_firing)} | (shown) |",
        f"| reminders fired twice or more | **{len(counts.doubled)}** | 0 |",
        f"| reminders early or unexpected | **{len(counts.early) + len(counts.unexpected)}** | 0 |",
        f"| reminder lateness p50 / p99 / max (s) | {_fmt(percentile(lat, 50))} / {_fmt(percentile(lat, 99))} / "
        f"{_fmt(max(lat) if lat else None)} | |",
        f"| reminders posted more than {HEAL_AIM:g} s after their instant | {len(counts.late)} | (shown) |",
        f"| worst healing time (s), fault to a probe triaged (the probe spared Jira's injected faults) | "
        f"**{_secs(worst)}** | < {HEAL_AIM:g} each |",
    ]
    fault_rows = ["| fault | times | healing s (each; probe spared Jira's injected faults) | max s |",
                  "|---|---:|---|---:|"]
    for kind, values in by_kind.items():
        done = [v for v in values if v is not None]
        fault_rows.append(f"| {kind} | {len(values)} | {', '.join(_secs(v) for v in values)} | "
                          f"{_secs(max(done) if len(done) == len(values) else None)} |")
    base = run.baseline
    lines = [
        f"Run {datetime.fromtimestamp(run.started, UTC):%Y-%m-%d %H:%M} UTC on {machine()}: "
        f"`python -m bench chaos{' --quick' if profile.name == 'quick' else ''}` (seed {result['seed']}), "
        f"{'**aims met**' if ok else '**aims not met**'}.",
        "",
        *rows,
        "",
        *fault_rows,
        "",
        f"**Load.** {profile.duration:g} s of people acting through the simulator: {run.actions['create']} "
        f"requests created ({_mix(run)}), {run.actions['comment']} customer comments, "
        f"{run.actions['edit-summary']} agent summary edits, {run.actions['edit-priority']} agent priority "
        f"changes, plus {sum(1 for f in run.faults if f.probe and f.kind != 'beat') + len(base)} probes. "
        f"The simulator sent **{hooks['delivered'] + hooks['never_answered']:,} signed webhooks** "
        f"({', '.join(f'{n:,} {e}' for e, n in sorted(hooks['by_event'].items()))}; the triage's and the "
        f"reminders' own writes cause most of them, as on a real site), {injected.get('resend_same', 0):,} "
        f"of them sent again under the same identifier and {hooks['new_id_copies']:,} as a new delivery; "
        f"{hooks['answered_2xx']:,} answers 2xx over {hooks['attempts']:,} attempts "
        f"({attempts_429} answered 429, {sum(v for k, v in hooks['statuses'].items() if k.startswith('5'))} "
        f"answered 5xx, {hooks['statuses'].get('None', 0)} refused connections or timeouts, retried by the "
        f"simulator 1, 2, 4, 8 s apart); {hooks['never_answered']} given up. Jira (the simulator) answered "
        f"{injected.get('calls', 0):,} REST calls: {injected.get('429', 0):,} with 429 (Retry-After 1), "
        f"{injected.get('500', 0):,} with 500, {injected.get('slow', 0):,} after {JIRA_TIMEOUT + 1:g} s "
        f"(JIRA_TIMEOUT {JIRA_TIMEOUT:g}); {injected.get('spared', 0):,} more, about the probes, spared. "
        f"Queue peak {result['peak_queue']} messages.",
        "",
        "**Faults.** Each struck while the load ran, with nobody acting afterwards: `worker-main` is a "
        "SIGKILL of a Celery worker node's main process (its `python -m worker.supervise` starts a new "
        "one), `worker-pool` a SIGKILL of one of its pool processes (Celery replaces it), `redis` a "
        f"`kill -9` of redis-server (AOF on, `appendfsync everysec` as deploy/redis.conf) restarted "
        f"{profile.redis_down:g} s later on the same data, `beat` a SIGKILL of beat (its supervisor starts "
        "it again). Healing time: from the fault to a probe request, created at that moment, being "
        "triaged (its `priority-support` property in Jira); for beat, to the first reminder posted after "
        "the kill. A probe is spared the simulator's injected faults (its calls answer at once), so its "
        "time is the service's recovery (the restart, the queue in front of it, the clock handing lost "
        "work back), not the odds of its own calls; the work it waits behind meets them all. With no "
        f"fault near, a probe took {_fmt(percentile(base, 50))} s (median of {len(base)}; "
        f"max {_fmt(max(base) if base else None)}).",
        "",
        "**What the processes logged.** " + ("; ".join(f"{what} ({n}x)" for what, n in sorted(result["restarts"].items()))
                                             or "no restart, no CRITICAL line") + ".",
        "",
        f"**Settings.** The shipped defaults, but for JIRA_TIMEOUT {JIRA_TIMEOUT:g} s, WORKER_CONCURRENCY and "
        f"TIME_WORKER_CONCURRENCY {CONCURRENCY} (2 by default: I/O-bound processes waiting on a failing Jira), "
        f"and the reconciliation sweep every {SWEEP_SECONDS} s for requests over a minute old "
        "(RECONCILE_INTERVAL_SECONDS, RECONCILE_GRACE_MINUTES; 600 s and 5 min by default), shrunk with the "
        "targets so that what it heals shows within the run.",
        "",
        "**How it is counted.** From the simulator's state at the end (`bench/chaos_counts.py`), not from "
        "the service's Redis: every issue's `priority-support` property and comments. Reminders: the "
        "config used (the shipped one with L1 "
        f"{profile.l1_target} and L2 {profile.l2_target} on the 24x7 calendar, so that their reminders fall "
        "inside the run; L3 and the not entitled requests have none in it) gives each triaged request's "
        "50/75/90/100 % instants from its creation time and recorded level; the run waits until the last "
        f"of them is due, and one due less than {HEAL_AIM:g} s before the count is not expected yet. A "
        "reminder is its internal comment's marker (`psw-reminder:c<cycle>:t<code>`), a triage comment "
        "its decision marker.",
        "",
        f"**Noise.** Everything (simulator, gunicorn with 2 workers, the two worker nodes at concurrency {CONCURRENCY}, "
        "beat, Redis, the load) shares 2 cores with other work on the machine: healing times and "
        "lateness vary between runs by several seconds; the counts should not.",
    ]
    for title, items in (("never triaged", sorted(set(counts.untriaged) | set(counts.no_triage_comment))),
                         ("duplicate triage comments", counts.duplicate_comments),
                         ("reminders missed", counts.missed), ("reminders doubled", counts.doubled),
                         ("reminders passed over, late firing", counts.superseded_by_firing),
                         ("reminders early", counts.early), ("reminders unexpected", counts.unexpected),
                         ("reminders late", counts.late), ("triaged late", counts.triaged_late)):
        if items:
            shown = ", ".join(str(i) for i in items[:12]) + (f" ... ({len(items)} in all)" if len(items) > 12 else "")
            lines += ["", f"Found, {title}: {shown}"]
    return "\n".join(lines), ok


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _mix(run: Run) -> str:
    kinds = Counter(label for key, label in run.created.items())
    return ", ".join(f"{n} {label}" for label, n in kinds.most_common())


def write_doc(text: str, path: Path = DOC) -> None:
    """Replace what lies between the chaos markers (the file and its section made if missing)."""
    body = path.read_text() if path.exists() else "# Reliability\n"
    block = f"{BEGIN}\n{text.strip()}\n{END}"
    if BEGIN in body and END in body:
        body = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, body, flags=re.S)
    else:
        body = body.rstrip() + "\n\n## Chaos run\n\n" + block + "\n"
    path.write_text(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 60 s, one fault of each kind (development)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-write", action="store_true", help="print the table, leave docs/RELIABILITY.md alone")
    args = parser.parse_args(argv)
    profile = QUICK if args.quick else FULL
    run_dir = Path(tempfile.mkdtemp(prefix=f"chaos-{profile.name}-", dir=_var_dir()))
    result = run_chaos(profile, args.seed, run_dir)
    text, ok = report(result)
    print(text, flush=True)
    if not args.no_write:
        write_doc(text)
        log(f"written to {DOC}")
    log(f"logs and the simulator's state in {run_dir}")
    return 0 if ok else 1


def _var_dir() -> Path:
    path = ROOT / "var" / "chaos"
    path.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    sys.exit(main())
