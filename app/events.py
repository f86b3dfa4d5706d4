"""One table from Jira webhook event to the task that handles it; ignored events listed."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from worker.bodies import mapping, shorten, text
from worker.queues import REQUEST_CHANGED, TRIAGE_REQUEST

ROUTES: dict[str, str] = {
    "jira:issue_created": TRIAGE_REQUEST,
    "jira:issue_updated": REQUEST_CHANGED,
    "comment_created": REQUEST_CHANGED,
}

# Events a JSM site sends that Priority Support has no use for. Anything else is answered
# `ignored` too, but counted as unknown so an operator notices a new kind of event.
IGNORED: frozenset[str] = frozenset({
    "jira:issue_deleted",
    "comment_updated",
    "comment_deleted",
    "issue_property_set",
    "issue_property_deleted",
    "issuelink_created",
    "issuelink_deleted",
    "attachment_created",
    "attachment_deleted",
    "worklog_created",
    "worklog_updated",
    "worklog_deleted",
    "jira:version_released",
    "sprint_started",
    "sprint_closed",
})


# Their tasks start from the issue the body names; a body naming none can never be handled.
NEEDS_ISSUE_KEY: frozenset[str] = frozenset({"jira:issue_created", "jira:issue_updated"})


def metric_label(event_name: str) -> str:
    """The event's name as a metric label: a name from the tables above, else "other", so a
    sender inventing names cannot grow /metrics without bound."""
    return event_name if event_name in ROUTES or event_name in IGNORED or event_name == "-" else "other"


class PayloadError(ValueError):
    """The body is not a Jira webhook; the message says why, for a 400."""


@dataclass(frozen=True)
class WebhookEvent:
    name: str
    task: str | None  # None: ignored

    @property
    def known(self) -> bool:
        return self.name in ROUTES or self.name in IGNORED


def parse_event(payload: object) -> WebhookEvent:
    if not isinstance(payload, dict):
        raise PayloadError(f"body must be a JSON object, got {type(payload).__name__}")
    name = payload.get("webhookEvent")
    if not name:
        raise PayloadError("body has no webhookEvent")
    if not isinstance(name, str):
        raise PayloadError("webhookEvent must be a string")
    if name in NEEDS_ISSUE_KEY and not text(mapping(payload.get("issue")).get("key")):
        raise PayloadError(f"{shorten(name)} needs issue.key, the key of the issue it is about")
    return WebhookEvent(name=name, task=ROUTES.get(name))


def body_age(payload: dict, now: datetime) -> float | None:
    """Seconds since the body's `timestamp` (Jira's epoch milliseconds), or None without a usable one."""
    stamp = payload.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, (int, float)):
        return None
    try:
        seconds = stamp / 1000.0
    except OverflowError:  # an int past a float's range: no usable time
        return None
    return now.timestamp() - seconds if math.isfinite(seconds) else None
