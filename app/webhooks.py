"""`POST /webhooks/jira`: verify, parse once, dedupe, queue, answer at once.

The web process never calls Jira. Every way this can fail answers with a status Jira acts on:
4xx for a body that will never be right (including one older than WEBHOOK_MAX_AGE_SECONDS by its
`timestamp`: a replay), 503 (Jira retries) when we cannot store or queue it.
"""
from __future__ import annotations

import hashlib
import logging
import time

import redis
from flask import Blueprint, current_app, jsonify, request

from app.body import read_body
from app.events import PayloadError, WebhookEvent, body_age, metric_label, parse_event
from app.signature import is_authentic
from worker import clock, inflight
from worker.queues import QUEUE, REQUEST_CHANGED
from worker.bodies import BodyError, mapping, parse_json, shorten, text
from worker.config.live import NoUsableConfig
from worker.reminders.events import needs_no_task
from worker.queueing import task_message
from worker.metrics import WEBHOOK_SECONDS, WEBHOOKS

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)

DELIVERY_HEADER = "X-Atlassian-Webhook-Identifier"


def _answer(event_name: str, outcome: str, http_status: int, **body):
    WEBHOOKS.labels(event=metric_label(event_name), outcome=outcome).inc()
    return jsonify(status=body.pop("status", outcome), **body), http_status


@bp.post("/webhooks/jira")
def receive():
    started = time.perf_counter()
    try:
        return _receive()
    finally:
        WEBHOOK_SECONDS.observe(time.perf_counter() - started)


def _needs_no_task(event: WebhookEvent, payload: dict) -> str | None:
    """Why a change event needs no task, judged from the body by the reminders' own rules; None
    (queue it) whenever that cannot be told, including when no usable config is loaded."""
    if event.task != REQUEST_CHANGED:
        return None
    try:
        return needs_no_task(payload, current_app.extensions["psw"].change_rules())
    except NoUsableConfig:
        return None
    except (AttributeError, TypeError, ValueError):
        # An odd shape somewhere inside: the worker's reading of it decides, and logs it.
        return None


def _receive():
    settings = current_app.extensions["psw"].settings
    raw = read_body(settings.webhook_max_bytes)  # 413 past the limit, chunked or not

    if settings.webhook_secret and not is_authentic(
        settings.webhook_secret, raw, request.headers.get("X-Hub-Signature"), request.args.get("token")
    ):
        return _answer("-", "unauthorized", 401, message="missing or wrong webhook signature")

    try:
        payload = parse_json(raw)
    except BodyError as exc:
        return _answer("-", "bad_request", 400, message=f"body is not JSON this service reads: {exc}")
    try:
        event = parse_event(payload)
    except PayloadError as exc:
        return _answer("-", "bad_request", 400, message=str(exc))

    if event.task is None:
        outcome = "ignored" if event.known else "ignored_unknown"
        return _answer(event.name, outcome, 200, status="ignored", event=shorten(event.name))
    age = body_age(payload, clock.now())
    if settings.webhook_max_age_seconds and age is not None and age > settings.webhook_max_age_seconds:
        # 422: Jira retries only 408, 409, 425, 429 and 5xx, so a stale body is not sent again
        # and again; the delivery shows as failed in Jira's webhook log, for an admin to see.
        return _answer(event.name, "stale", 422, message=(
            f"body is {age:.0f} s old by its timestamp, over WEBHOOK_MAX_AGE_SECONDS="
            f"{settings.webhook_max_age_seconds}: a replay cannot undo newer state; the sweep "
            "triages any request whose webhook was missed"))
    why = _needs_no_task(event, payload)
    if why:
        return _answer(event.name, "ignored", 200, event=event.name, reason=shorten(why))

    delivery_id = request.headers.get(DELIVERY_HEADER) or hashlib.sha256(raw).hexdigest()
    psw = current_app.extensions["psw"]
    issue = shorten(text(mapping(payload.get("issue")).get("key")) or "", 64)  # DC comment events carry none
    message = task_message(psw.celery, event.task, [delivery_id], QUEUE, issue=issue)
    try:
        queued = psw.deliveries.claim_and_queue(delivery_id, raw, QUEUE, message,
                                                mark=inflight.member(event.task, [delivery_id]))
    except (redis.RedisError, OSError) as exc:
        log.error("cannot queue delivery %s (%s): %s", delivery_id, event.name, type(exc).__name__)
        return _answer(event.name, "unavailable", 503, message="queue unavailable, retry later")
    if not queued:
        return _answer(event.name, "duplicate", 200, delivery=delivery_id)
    log.info("queued %s delivery=%s", event.name, delivery_id)
    return _answer(event.name, "queued", 202, delivery=delivery_id)
