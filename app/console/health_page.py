"""The health page: on one page what `/readyz` judges (worker/liveness.py: heartbeats, beat, the
queues, waiting reminders), each queue's depth and oldest message, every worker's heartbeat, the
reminder backlog, and the mapping config's errors. Read from Redis and this process's
LiveConfig; when Redis does not answer, that is the page's first failing check, not an error page."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import redis

from worker.config.live import NoUsableConfig
from worker.liveness import CHECKS, Snapshot, judge, snapshot
from worker.queues import QUEUES
from worker.reminders.store import ReminderStore

# What each check watches, in the README's words (Operations, "Readiness of the whole service").
WATCHES = {
    "redis": "the web process reads and writes Redis (broker, dedupe, schedule)",
    "worker": "a worker's consumer loop has beaten within READY_WORKER_MAX_AGE_SECONDS",
    "beat": "beat has ticked within READY_BEAT_MAX_AGE_SECONDS",
    "queue_stalled": "queued tasks are being started (READY_QUEUE_STALL_SECONDS)",
    "queue_oldest": "no queued task has waited READY_OLDEST_TASK_SECONDS",
    "reminders_waiting": "no due reminder has waited READY_REMINDER_WAIT_SECONDS to be claimed or fired",
    "config": "the mapping config file on disk is valid and running",
}


@dataclass
class Check:
    name: str
    ok: bool
    watches: str
    message: str


@dataclass
class HealthView:
    checks: list[Check]
    snapshot: Snapshot | None  # None: Redis did not answer
    backlog: dict[str, int] = field(default_factory=dict)
    config_version: str | None = None
    config_path: str = ""
    config_problems: list[str] = field(default_factory=list)
    running_last_good: bool = False  # the file is broken: the last good config runs

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)


def _config_check(services) -> tuple[Check, str | None, str, list[str]]:
    path = str(services.settings.mapping_config or "the shipped worker/defaults/mapping.yaml")
    try:
        live = services.live_config
        running = live.current()
    except NoUsableConfig as exc:
        problems = [str(p) for p in exc.problems] or [str(exc)]
        return Check("config", False, WATCHES["config"], "no usable mapping config: nothing can be triaged"), \
            None, path, problems
    problems = [str(p) for p in live.problems]
    if problems:
        message = (f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {live.path}: the last good "
                   f"config (version {running.version}) keeps running until it is fixed")
    else:
        message = f"version {running.version} from {live.path}"
    return Check("config", not problems, WATCHES["config"], message), running.version, str(live.path), problems


def load(services, now: datetime) -> HealthView:
    config_check, version, path, problems = _config_check(services)
    try:
        snap = snapshot(services.redis, QUEUES, now.timestamp())
        backlog = ReminderStore(services.redis).counts(now)
    except redis.RedisError as exc:
        down = Check("redis", False, WATCHES["redis"], f"Redis does not answer ({type(exc).__name__}): "
                     "webhooks get 503 and Jira retries them; nothing else can be judged")
        unknown = [Check(name, False, WATCHES[name], "not judged: Redis does not answer") for name in CHECKS]
        return HealthView([down, *unknown, config_check], None, {}, version, path, problems, bool(problems))
    verdict = judge(snap, services.settings.liveness)
    failing = {problem.check: problem.message for problem in verdict.problems}
    checks = [Check("redis", True, WATCHES["redis"], "answers")]
    checks += [Check(name, name not in failing, WATCHES[name], failing.get(name, "passes")) for name in CHECKS]
    checks.append(config_check)
    return HealthView(checks, snap, backlog, version, path, problems, bool(problems) and version is not None)
