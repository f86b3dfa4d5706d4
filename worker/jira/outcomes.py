"""What a Jira answer means for the caller: pure functions from an HTTP outcome to a JiraError.

No I/O and no clock here: the gateway passes the current instant in, so the Retry-After
arithmetic is tested without moving time.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from worker.jira.errors import JiraError, JiraRejected, JiraRetryLater, JiraUnavailable

# A 429 without any usable hint: Jira Cloud's own guidance is to back off for seconds, not
# milliseconds, and a task retried after 10 s costs one more call at most.
DEFAULT_RETRY_AFTER = 10.0

_DETAIL_LIMIT = 300


def retry_after_seconds(raw: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date, RFC 9110 10.2.3).

    None when the value is missing or unreadable; a date in the past means "now" (0).
    """
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        return _seconds_until(_http_date(raw), now)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def rate_limit_reset_seconds(raw: str | None, now: datetime) -> float | None:
    """Seconds until Jira Cloud's X-RateLimit-Reset (an ISO 8601 instant), None if unreadable.

    Used only for a 429 that lacks a usable Retry-After: Cloud sends both, and Retry-After is
    the documented contract, so it wins whenever it is readable.
    """
    if raw is None or not raw.strip():
        return None
    try:
        instant = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return _seconds_until(instant, now)


def _http_date(raw: str) -> datetime | None:
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None


def _seconds_until(instant: datetime | None, now: datetime) -> float | None:
    if instant is None:
        return None
    if instant.tzinfo is None:  # HTTP-dates are GMT; an offset-less ISO instant is taken as UTC
        instant = instant.replace(tzinfo=timezone.utc)
    return max(0.0, (instant - now).total_seconds())


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every non-empty secret replaced by '***' (defence in depth for messages)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def jira_error_details(body: str) -> tuple[list[str], dict[str, str]]:
    """Jira's error messages and per-field errors from an error body, empty when there are none.

    Platform endpoints answer {"errorMessages": [...], "errors": {field: message}}; the service
    desk API answers {"errorMessage": "..."}. Anything else (an HTML proxy page) yields nothing.
    """
    try:
        data = json.loads(body)
    except ValueError:
        return [], {}
    if not isinstance(data, dict):
        return [], {}
    messages: list[str] = []
    listed = data.get("errorMessages")
    if isinstance(listed, list):
        messages.extend(str(m) for m in listed if m)
    single = data.get("errorMessage")
    if isinstance(single, str) and single:
        messages.append(single)
    errors = data.get("errors")
    field_errors = {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}
    return messages, field_errors


def _detail(body: str, reason: str) -> str:
    messages, field_errors = jira_error_details(body)
    parts = list(messages)
    for field_id, message in field_errors.items():
        # Jira's field messages often name the field already ("Field 'x' cannot be set ...").
        parts.append(message if field_id in message else f"{field_id}: {message}")
    if parts:
        text = "; ".join(parts)
    else:
        text = " ".join(body.split()) or reason or "no details"
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 3] + "..."


def error_for_status(
    where: str,
    status: int,
    headers: Mapping[str, str],
    body: str,
    now: datetime,
    *,
    reason: str = "",
    secrets: Iterable[str] = (),
) -> JiraError | None:
    """The JiraError a final HTTP status stands for, or None for success (2xx).

    `where` is "METHOD /path" for the message; `headers` must look up case-insensitively
    (requests' response headers do).
    """
    secrets = tuple(secrets)
    if 200 <= status < 300:
        return None
    retry_after = retry_after_seconds(headers.get("Retry-After"), now)
    if status == 429:
        if retry_after is None:
            retry_after = rate_limit_reset_seconds(headers.get("X-RateLimit-Reset"), now)
        if retry_after is None:
            retry_after = DEFAULT_RETRY_AFTER
        return JiraRetryLater(f"Jira asked to retry {where} in {retry_after:g} s (429)", retry_after)
    if status == 503 and retry_after is not None:
        return JiraRetryLater(f"Jira asked to retry {where} in {retry_after:g} s (503)", retry_after)
    detail = redact(_detail(body, reason), secrets)
    if status >= 500:
        return JiraUnavailable(f"Jira failed {where} ({status}): {detail}")
    if 400 <= status < 500:
        messages, field_errors = jira_error_details(body)
        return JiraRejected(
            f"Jira rejected {where} ({status}): {detail}",
            status,
            [redact(m, secrets) for m in messages],
            {k: redact(v, secrets) for k, v in field_errors.items()},
        )
    # A final 1xx/3xx: requests already followed any redirect that had somewhere to go, so this
    # is a proxy or login page misconfiguration that retrying will not fix.
    return JiraRejected(f"Jira answered {where} with unexpected status {status}: {detail}", status)
