"""The admin API: the effective mapping config, explain, each issue's audit trail, re-triage and
the on-boarding message.

Every endpoint needs `Authorization: Bearer $ADMIN_TOKEN`; with no token configured the admin API
is off. The one Jira call here is a re-triage's read of its issue (app/retriage_views.py); its
writes are the workers'.
"""
from __future__ import annotations

import hmac
import json
import re
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from worker import clock
from worker.bodies import BodyError, parse_json, shorten
from worker.config.live import NoUsableConfig
from worker.explain import ExplainError, as_json, explain
from worker.instants import parse_instant

bp = Blueprint("admin", __name__, url_prefix="/admin")

_SECRET_KEY = re.compile(r"token|secret|password|api_key|credential", re.I)


def _error(status: int, message: str):
    return jsonify(status="error", message=message), status


def admin_only(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        token = current_app.extensions["psw"].settings.admin_token
        if not token:
            return _error(404, "the admin API is off: set ADMIN_TOKEN to turn it on")
        given = request.headers.get("Authorization", "")
        if not given.startswith("Bearer ") or not hmac.compare_digest(given[7:].encode(), token.encode()):
            return _error(401, "missing or wrong admin token (Authorization: Bearer ...)")
        return view(*args, **kwargs)
    return guarded


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if _SECRET_KEY.search(str(k)) and v else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _config():
    try:
        return current_app.extensions["psw"].live_config.current(), None
    except NoUsableConfig as exc:
        return None, exc


@bp.get("/config")
@admin_only
def config():
    live = current_app.extensions["psw"].live_config
    running, broken = _config()
    if running is None:
        return _error(503, str(broken))
    return jsonify(version=running.version, path=str(live.path),
                   problems=[str(p) for p in live.problems],
                   config=redact(json.loads(running.model_dump_json())))


@bp.post("/explain")
@admin_only
def explain_payload():
    try:
        body = parse_json(request.get_data(cache=False))
    except BodyError as exc:
        return _error(400, f"the body must be a JSON webhook payload (or an issue's JSON): {exc}")
    now = clock.now()
    if request.args.get("now"):
        try:
            now = parse_instant(request.args["now"], "now")
        except ValueError as exc:
            return _error(400, str(exc))
    running, broken = _config()
    if running is None:
        return _error(503, str(broken))
    try:
        decision, facts = explain(body, running, now)
    except ExplainError as exc:
        return _error(422, str(exc))
    return jsonify(as_json(decision, facts, now))


@bp.get("/issues/<issue_key>")
@admin_only
def issue_audit(issue_key: str):
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*-\d+", issue_key):
        return _error(400, f"{shorten(repr(issue_key))} is not an issue key such as PS-123")
    entries = current_app.extensions["psw"].audit.entries(issue_key)
    return jsonify(issue=issue_key, entries=entries)


@bp.post("/issues/<issue_key>/retriage")
@admin_only
def retriage_issue(issue_key: str):
    """Re-triage one request (worker/retriage.py): `?dry_run=1` or a JSON body
    `{"dry_run": true, "requested_by": "who"}`; answers the before and after."""
    from app.retriage_views import admin_retriage

    return admin_retriage(issue_key)


@bp.get("/onboarding/<sen>")
@admin_only
def onboarding_message(sen: str):
    """The on-boarding message of a SEN (worker/onboarding_message.py), `?format=md` (default) or `html`."""
    from worker.entitlement.sources import EntitlementSourceUnavailable
    from worker.onboarding_message import render
    from worker.retriage import RetriageError, normal_sen

    form = request.args.get("format", "md")
    if form not in ("md", "html"):
        return _error(400, f"format={shorten(repr(form))}: md or html")
    try:
        sen = normal_sen(sen)
    except RetriageError as exc:
        return _error(400, str(exc))
    running, broken = _config()
    if running is None:
        return _error(503, str(broken))
    try:
        record = current_app.extensions["psw"].entitlements().lookup(sen)
    except (EntitlementSourceUnavailable, ValueError) as exc:
        return _error(503, f"cannot read the entitlement source: {shorten(str(exc))}")
    if record is None:
        return _error(404, f"{sen}: the entitlement source does not know this SEN")
    return render(record, running, form), 200, {"Content-Type": "text/markdown; charset=utf-8" if form == "md"
                                                else "text/html; charset=utf-8"}
