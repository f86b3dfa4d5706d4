"""Webhook bodies, shaped like the real ones (see the samples in shared/jira-samples).

Cloud: `timestamp` (ms), `webhookEvent`, `issue_event_type_name`, `user` with `accountId`,
`issue` {id, self, key, fields}, `changelog` (also on create). Data Center: users with
`name`/`key`, changelog items without `fieldId`, and `comment_created` carrying ONLY
timestamp, webhookEvent and comment: the issue must be read from `comment.self`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from jirasim import catalogue as cat
from jirasim.edits import Change
from jirasim.model import Comment, Issue, comment_json, issue_json
from jirasim.shapes import Site, User

ISSUE_CREATED = "jira:issue_created"
ISSUE_UPDATED = "jira:issue_updated"
COMMENT_CREATED = "comment_created"
EVENTS = (ISSUE_CREATED, ISSUE_UPDATED, COMMENT_CREATED)


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def changelog_item(site: Site, change: Change) -> dict:
    field = change.field
    before, before_text = _describe(site, field, change.before)
    after, after_text = _describe(site, field, change.after)
    item: dict[str, Any] = {"field": field.name if field.custom else field.id,
                            "fieldtype": "custom" if field.custom else "jira"}
    if site.is_cloud:
        item["fieldId"] = field.id
    item.update({"from": before, "fromString": before_text, "to": after, "toString": after_text})
    return item


def _describe(site: Site, field: cat.FieldDef, value: Any) -> tuple[str | None, str | None]:
    """(raw, display) for a changelog side: ids where Jira records ids, names for people."""
    if value is None or value == []:
        return None, None
    if field.kind in ("option", "priority", "status"):
        return value["id"], value.get("value") or value.get("name")
    if field.kind == "labels":
        return None, " ".join(value)
    if field.kind == "user":
        return value.get("accountId") if site.is_cloud else value.get("name"), value.get("displayName")
    if field.kind == "datetime":
        return value, value
    if field.kind == "request_type":
        return value["requestType"]["id"], value["requestType"]["name"]
    return None, str(value)


def issue_created(site: Site, issue: Issue, user: User, now: datetime, changelog_id: str) -> dict:
    body = _issue_event(site, ISSUE_CREATED, "issue_created", issue, user, now)
    if site.is_cloud:  # Cloud lists every field that got a value; DC sends no changelog on create
        items = [changelog_item(site, Change(cat.FIELDS_BY_ID[fid], None, value))
                 for fid, value in issue.fields.items()
                 if value not in (None, []) and fid not in ("created", "updated", "statusCategory",
                                                            "project", "issuetype")]
        body["changelog"] = {"id": changelog_id, "items": items}
    return body


def issue_updated(site: Site, issue: Issue, user: User, now: datetime, changes: list[Change],
                  changelog_id: str, type_name: str = "issue_updated") -> dict:
    body = _issue_event(site, ISSUE_UPDATED, type_name, issue, user, now)
    body["changelog"] = {"id": changelog_id, "items": [changelog_item(site, c) for c in changes]}
    return body


def issue_commented(site: Site, issue: Issue, comment: Comment, now: datetime) -> dict:
    """The jira:issue_updated that Jira sends next to comment_created for a new comment."""
    body = _issue_event(site, ISSUE_UPDATED, "issue_commented", issue, comment.author, now)
    body["comment"] = comment_json(site, issue, comment)
    return body


def comment_created(site: Site, issue: Issue, comment: Comment, now: datetime) -> dict:
    body: dict[str, Any] = {"timestamp": _millis(now), "webhookEvent": COMMENT_CREATED,
                            "comment": comment_json(site, issue, comment)}
    if site.is_cloud:
        trimmed = ("summary", "issuetype", "project", "priority", "status")
        body["issue"] = {"id": issue.id, "self": site.link(f"/rest/api/2/issue/{issue.id}"),
                         "key": issue.key,
                         "fields": {**{k: issue.fields[k] for k in trimmed}, "assignee": None}}
    return body


def _issue_event(site: Site, event: str, type_name: str, issue: Issue, user: User,
                 now: datetime) -> dict:
    rendered = issue_json(site, issue)
    return {"timestamp": _millis(now), "webhookEvent": event, "issue_event_type_name": type_name,
            "user": site.user(user),
            "issue": {"id": rendered["id"], "self": rendered["self"], "key": rendered["key"],
                      "fields": rendered["fields"]}}
