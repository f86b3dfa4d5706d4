"""Re-triage from the web process: the admin API's endpoint and the console's button share this.

The dry run reads the issue from Jira (the one Jira call the web process makes, and only when an
admin asks); applying queues the normal triage task for the workers (worker/retriage.py).
"""
from __future__ import annotations

import redis
from flask import current_app, jsonify, request

from worker.bodies import BodyError, mapping, parse_json, shorten
from worker.config.live import NoUsableConfig
from worker.entitlement.sources import EntitlementSourceUnavailable
from worker.jira.errors import JiraError
from worker.retriage import Preview, RetriageError, StalePreview, issue_key as checked_key
from worker.retriage import request as retriage_request

MAX_NAME_CHARS = 200


class RetriageRefused(Exception):
    """The re-triage cannot be done as asked; `status` and the message are the answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def retriage(key: str, requested_by: str, via: str, *, dry_run: bool, expect_decision: str | None = None) -> Preview:
    """The re-triage of `key`; RetriageRefused with the HTTP status and message when it cannot be
    done (StalePreview passes through: the caller shows the fresh dry run)."""
    psw = current_app.extensions["psw"]
    try:
        key = checked_key(key)
    except RetriageError as exc:
        raise RetriageRefused(400, str(exc)) from None
    if psw.settings.jira is None:
        raise RetriageRefused(503, "no Jira site is configured (JIRA_URL and its credentials): "
                                   "a re-triage must read the issue")
    try:
        return retriage_request(psw, psw.celery, key, requested_by, dry_run=dry_run, via=via,
                                expect_decision=expect_decision)
    except StalePreview:
        raise
    except RetriageError as exc:
        raise RetriageRefused(404, str(exc)) from None
    except NoUsableConfig as exc:
        raise RetriageRefused(503, str(exc)) from None
    except (JiraError, EntitlementSourceUnavailable) as exc:
        raise RetriageRefused(502, f"{key}: cannot re-triage now: {shorten(str(exc))}") from None
    except redis.RedisError as exc:
        raise RetriageRefused(503, f"Redis cannot take the re-triage: {type(exc).__name__}") from None


def _flag(value, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "0", "false", "no", ""):
        return value.strip().lower() in ("1", "true", "yes")
    raise RetriageRefused(400, f"{what} must be true or false (1 or 0), not {shorten(repr(value))}")


def admin_retriage(key: str):
    try:
        raw = request.get_data(cache=False)
        body = {}
        if raw.strip():
            try:
                body = parse_json(raw)
            except BodyError as exc:
                raise RetriageRefused(400, f"the body must be a JSON object: {exc}") from None
            if not isinstance(body, dict):
                raise RetriageRefused(400, "the body must be a JSON object, e.g. {\"dry_run\": true}")
        dry_run = _flag(request.args.get("dry_run", mapping(body).get("dry_run", False)), "dry_run")
        who = body.get("requested_by")
        if who is not None and (not isinstance(who, str) or not who.strip() or len(who) > MAX_NAME_CHARS
                                or not who.isprintable()):
            raise RetriageRefused(400, f"requested_by must be a name of at most {MAX_NAME_CHARS} printable characters")
        requested_by = f"{who.strip()} via the admin API" if who else "the admin API"
        result = retriage(key, requested_by, "admin-api", dry_run=dry_run)
    except RetriageRefused as exc:
        return jsonify(status="error", message=str(exc)), exc.status
    return jsonify(status="dry_run" if dry_run else "queued", **result.as_json()), 200 if dry_run else 202
