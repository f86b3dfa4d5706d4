"""Celery task messages written straight into a Redis pipeline or script.

Why: the web process must claim a delivery, keep its body and queue its task atomically, in one
round trip, so that no failure between the steps can lose an event or turn Jira's retry into a
false duplicate. Celery's `send_task` publishes on its own connection; this module builds the very
message `send_task` would (Celery's own `as_task_v2`, kombu's Redis envelope) so the same Redis
call that claims the delivery can push it. tests/component/test_queueing.py checks the message against
the one `send_task` writes, and the integration tests have a real worker consume it.
"""
from __future__ import annotations

import base64
import functools
import json
import os
import uuid

from celery import Celery
from celery.utils.saferepr import saferepr

from worker import clock
from worker.liveness import QUEUED_AT_HEADER


ISSUE_MARK = " issue="


def labelled(args: list, issue: str) -> str:
    """The task's arguments as Flower shows and searches them, with the issue they are about
    (a triage's only argument is a delivery id)."""
    return f"{saferepr(args, 200)}{ISSUE_MARK}{issue}" if issue else saferepr(args, 200)


@functools.lru_cache(maxsize=64)
def _skeleton(app: Celery, task_name: str, pid: int) -> tuple[dict, dict, dict]:
    """Headers, properties and the body's third part as Celery's `as_task_v2` writes them for
    every message of ours (no countdown, eta, expiry or callbacks): only the task id and the
    arguments differ from one message to the next. Built once per app, task and process (the
    `origin` header names the process), since as_task_v2 costs the intake more than its Redis
    call's arguments do."""
    message = app.amqp.as_task_v2("", task_name, args=[], kwargs={}, ignore_result=None, argsrepr="")
    return message.headers, message.properties, message.body[2]


def task_message(app: Celery, task_name: str, args: list, queue: str, issue: str = "") -> bytes:
    """The kombu Redis envelope of a Celery (protocol 2) task message, serialised."""
    task_id = str(uuid.uuid4())
    headers, properties, embed = _skeleton(app, task_name, os.getpid())
    body = json.dumps([args, {}, embed]).encode()
    return json.dumps({
        "body": base64.b64encode(body).decode(),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        # The queued-at stamp lets `/readyz` tell the oldest queued task's age (worker/liveness.py).
        "headers": {**headers, "id": task_id, "root_id": task_id, "argsrepr": labelled(args, issue),
                    QUEUED_AT_HEADER: clock.now().timestamp()},
        "properties": {
            **properties,
            "correlation_id": task_id,
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        },
    }).encode()
