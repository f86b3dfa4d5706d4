"""Health, readiness and metrics, for load balancers, probes and Prometheus."""
from __future__ import annotations

import os

import redis
from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from worker import clock
from worker.queues import QUEUES
from worker.config.live import NoUsableConfig
from worker.liveness import CHECKS, judge, snapshot
from worker.reminders.store import ReminderStore

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness of the web process, plus whether Redis (broker, dedupe, schedule) answers."""
    try:
        current_app.extensions["psw"].redis.ping()
    except redis.RedisError:
        return jsonify(status="degraded", redis="down"), 503
    return jsonify(status="ok", redis="up")


def _verdict():
    psw = current_app.extensions["psw"]
    return judge(snapshot(psw.redis, QUEUES, clock.now().timestamp()), psw.settings.liveness)


@bp.get("/readyz")
def readyz():
    """Whether the whole service moves: workers beat and consume, beat ticks, reminders go out.
    README "Operations" says what each failing check means and what to do."""
    try:
        verdict = _verdict()
    except redis.RedisError:
        return jsonify(status="not_ready", problems=[{"check": "redis", "message": "Redis does not answer"}]), 503
    snap = verdict.snapshot
    body = dict(workers=sorted(snap.workers), queue_length=snap.queue_length,
                problems=[{"check": p.check, "message": p.message} for p in verdict.problems])
    if verdict.ready:
        return jsonify(status="ready", **body)
    return jsonify(status="not_ready", **body), 503


class LivenessCollector:
    """Read at scrape time from Redis (heartbeats, queue), so every web process reports the same."""

    def __init__(self, services):
        self.services = services

    def collect(self):
        try:
            verdict = judge(snapshot(self.services.redis, QUEUES, clock.now().timestamp()),
                            self.services.settings.liveness)
        except redis.RedisError:
            return
        snap = verdict.snapshot
        ages = GaugeMetricFamily("psw_worker_heartbeat_age_seconds", "Seconds since each worker's last heartbeat",
                                 labels=["worker"])
        for name, age in snap.workers.items():
            ages.add_metric([name], age)
        yield ages
        yield GaugeMetricFamily("psw_workers_alive", "Workers whose heartbeat is within READY_WORKER_MAX_AGE_SECONDS",
                                value=sum(1 for a in snap.workers.values()
                                          if a <= self.services.settings.liveness.worker_max_age))
        if snap.beat_age is not None:
            yield GaugeMetricFamily("psw_beat_heartbeat_age_seconds", "Seconds since beat last ticked",
                                    value=snap.beat_age)
        yield GaugeMetricFamily("psw_queue_length", "Tasks waiting in the queue", value=snap.queue_length)
        yield GaugeMetricFamily("psw_queue_oldest_age_seconds",
                                "Age of the oldest queued task (0: none queued, or it carries no queued-at stamp)",
                                value=snap.oldest_queued_age or 0.0)
        if snap.consumed_age is not None:
            yield GaugeMetricFamily("psw_last_consumed_age_seconds", "Seconds since a worker last started a task",
                                    value=snap.consumed_age)
        yield GaugeMetricFamily("psw_reminder_due_wait_seconds", "How long the oldest due reminder waits to be claimed or fired",
                                value=snap.reminder_wait)
        ready = GaugeMetricFamily("psw_ready", "1 when the readiness check passes (as /readyz)", labels=["check"])
        failing = verdict.failing()
        for check in CHECKS:
            ready.add_metric([check], 0.0 if check in failing else 1.0)
        yield ready
        backlog = GaugeMetricFamily(
            "psw_reminder_backlog", "Reminders by state now: scheduled (due later), due (due, not yet claimed), "
            "claimed (lease running), lapsed (claimed, lease ran out)", labels=["state"])
        try:
            counts = ReminderStore(self.services.redis).counts(clock.now())
        except redis.RedisError:
            return
        for state, count in counts.items():
            backlog.add_metric([state], count)
        yield backlog


class ConfigCollector:
    """psw_config_errors from this process's view of the mapping config file, checked at scrape
    time (at most every 2 s), so it clears as soon as a good file loads."""

    def __init__(self, services):
        self.services = services

    def collect(self):
        try:
            live = self.services.live_config
            live.current()  # re-reads the file if it was last read over 2 s ago
            errors = len(live.problems)
        except NoUsableConfig as exc:
            errors = max(1, len(exc.problems))
        yield GaugeMetricFamily("psw_config_errors", "Errors in the mapping config file on disk now "
                                "(0 when the running config is the file's)", value=errors)


@bp.get("/metrics")
def metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Web and worker processes each write their samples to the shared directory.
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    liveness = CollectorRegistry()
    liveness.register(LivenessCollector(current_app.extensions["psw"]))
    liveness.register(ConfigCollector(current_app.extensions["psw"]))
    return Response(generate_latest(registry) + generate_latest(liveness), mimetype=CONTENT_TYPE_LATEST)
