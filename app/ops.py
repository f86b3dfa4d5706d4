"""Health and metrics, for load balancers and Prometheus."""
from __future__ import annotations

import os

import redis
from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness plus whether Redis (broker, dedupe, schedule) answers."""
    try:
        current_app.extensions["psw"].redis.ping()
    except redis.RedisError:
        return jsonify(status="degraded", redis="down"), 503
    return jsonify(status="ok", redis="up")


@bp.get("/metrics")
def metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Web and worker processes each write their samples to the shared directory.
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
