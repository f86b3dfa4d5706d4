"""One table from Jira webhook event to the task that handles it; ignored events listed."""
from __future__ import annotations

from dataclasses import dataclass

TRIAGE_TASK = "worker.tasks.triage_request"
CHANGE_TASK = "worker.reminders.tasks.request_changed"

ROUTES: dict[str, str] = {
    "jira:issue_created": TRIAGE_TASK,
    "jira:issue_updated": CHANGE_TASK,
    "comment_created": CHANGE_TASK,
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


def ignored_shape(name: str, payload: dict) -> str | None:
    """Why a routed event needs no task, when its body alone says so; None when it needs one.

    Kept to what no config or Jira call is needed for. Each triage produces such events itself
    (its internal comment, its label edit), so answering them here keeps them off the queue.
    """
    if name == "comment_created":
        if (payload.get("comment") or {}).get("jsdPublic") is False:
            return "internal comment: never a first response"
    elif name == "jira:issue_updated":
        items = (payload.get("changelog") or {}).get("items") or []
        if not items and payload.get("issue_event_type_name") == "issue_commented":
            return "comment notice: the comment_created event carries the comment"
        if items and all(item.get("field") == "labels" for item in items):
            return "labels only"
    return None


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
    return WebhookEvent(name=name, task=ROUTES.get(name))
