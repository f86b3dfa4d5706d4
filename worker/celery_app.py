"""The Celery app, configured as docs/DESIGN.md decision 5 says.

At-least-once: a task is acknowledged only after it ran (`acks_late`), a worker that dies mid-task
gives its message back (`task_reject_on_worker_lost`, and the Redis visibility timeout), and each
worker process holds one message at a time (prefetch 1). Time limits stay under the visibility
timeout so a slow task is killed before Redis hands its message to someone else.

`make_celery(settings)` builds the app; importing this module builds none, so `create_app(settings)`
and the tests build theirs from the settings they hold. The worker, beat and Flower processes
build theirs from the environment in worker/celery_main.py (`celery --app worker.celery_main`).
"""
from __future__ import annotations

from celery import Celery
from celery.signals import celeryd_init

from worker import redis_connect
from worker.queues import FIRE_REMINDER, QUEUE, RECONCILE, TIME_QUEUE
from worker.settings import Settings


def make_celery(settings: Settings) -> Celery:
    app = Celery("psw", include=["worker.tasks", "worker.reminders.tasks"])
    app.conf.update(
        broker_url=redis_connect.broker_url(settings),
        broker_use_ssl=redis_connect.broker_use_ssl(settings),
        broker_transport_options={
            **redis_connect.broker_transport_options(settings),  # Sentinel: the primary's name
            "visibility_timeout": settings.visibility_timeout,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            # Sweep for messages of dead workers every 10 s (kombu's default is ~100 s); they
            # are handed out again once older than the visibility timeout.
            "unacked_restore_interval": 10,
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        task_default_queue=QUEUE,
        # Reminder firings have a lane of their own (worker/queues.py); a retry goes back to the
        # queue its message came from.
        task_routes={FIRE_REMINDER: {"queue": TIME_QUEUE}},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=max(1, int(settings.task_time_limit * 0.8)),
        # The web process publishes while Jira waits for its answer: fail fast (503) rather than
        # hang when Redis is down; Jira retries the delivery.
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                                   "interval_max": 0.2},
        worker_send_task_events=False,  # Flower switches them on while it watches (enable_events)
        worker_hijack_root_logger=False,
        timezone="UTC",
        enable_utc=True,
        beat_schedule=_beat_schedule(settings),
        beat_schedule_filename=str(settings.var_dir / "celerybeat-schedule"),
        beat_scheduler="worker.heartbeats:HeartbeatScheduler",
        # Broker loss (issue 11; celery#9054, #10205): tasks running when the connection drops are
        # cancelled and redelivered rather than acknowledged on a dead channel, and the consumer
        # gives up after 8 retries (2, 4, 6, ... s apart, ~70 s) and exits non-zero for its
        # supervisor instead of waiting forever. The watchdog (worker/heartbeats.py) covers a
        # consumer loop that hangs without an error.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_connection_retry=True,
        broker_connection_max_retries=8,
        # What this app's own Redis clients are built from (worker/heartbeats.py, worker/node.py):
        # under Sentinel the broker URL is not one a Redis client can open.
        psw_settings=settings,
    )
    from worker import timekeeper  # noqa: F401 (starts the clock loop in the beat process, on beat_init)
    from worker.heartbeats import Heartbeat
    import worker.warmup  # noqa: F401  (connects its worker_init handler)
    import worker.node  # noqa: F401  (names the node its marks carry, on worker_init)

    app.steps["consumer"].add(Heartbeat)
    return app


@celeryd_init.connect
def _lane_concurrency(sender=None, instance=None, conf=None, options=None, **_) -> None:
    # The worker command's --concurrency wins; without it, the settings' figure for the lane the
    # node consumes (its --queues), so the Procfile reads no setting of its own.
    settings = getattr(conf, "psw_settings", None) if conf is not None else None
    if settings is None or (options or {}).get("concurrency"):
        return
    queues = (options or {}).get("queues") or ()
    names = queues.split(",") if isinstance(queues, str) else [str(q) for q in queues]
    time_lane = TIME_QUEUE in (name.strip() for name in names)
    conf.worker_concurrency = settings.time_worker_concurrency if time_lane else settings.worker_concurrency


def _beat_schedule(settings: Settings) -> dict:
    # Only the sweep is a beat task: it is not time-critical (what it finds becomes triage tasks,
    # which wait in the triage queue anyway), and it expires rather than piles up behind a busy
    # queue. Reminder dispatch and in-flight recovery are the clock loop's (worker/timekeeper.py),
    # outside every queue.
    reminders = settings.reminders
    return {
        "reminders-reconcile": {
            "task": RECONCILE,
            "schedule": reminders.reconcile_interval,
            "options": {"queue": QUEUE, "expires": reminders.reconcile_interval},
        },
    }
