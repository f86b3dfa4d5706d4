"""Issues and comments as the store keeps them, and their JSON for each REST API.

Fields are kept in their /rest/api/2 JSON form (every catalogue field present, None when
unset), so a GET is a filtered copy; /rest/api/3 differs only in rich text (ADF).
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jirasim import catalogue as cat
from jirasim.shapes import Site, User, adf, jira_time

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


@dataclass
class Comment:
    id: str
    author: User
    body: str
    public: bool
    created: datetime


@dataclass
class Issue:
    id: str
    key: str
    fields: dict
    reporter: User
    created: datetime
    status_since: datetime  # when the issue entered its current status (JSM's statusDate)
    request_type_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    sla: list[dict] = field(default_factory=list)

    @property
    def status(self) -> cat.Status:
        return cat.find_status(self.fields["status"]["id"])

    def copy(self) -> "Issue":
        """A snapshot. Stored values are never changed in place, only replaced (see store.py),
        so copying the containers is enough to keep the snapshot still."""
        return dataclasses.replace(self, fields=dict(self.fields), properties=dict(self.properties),
                                   comments=list(self.comments), sla=list(self.sla))


def select(spec: str | list[str] | None, available: list[str], default: list[str]) -> list[str]:
    """Which names a `fields=`/`properties=` parameter asks for (Jira's *all, -name syntax)."""
    if spec is None:
        return list(default)
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    items = [item.strip() for item in items if isinstance(item, str) and item.strip()]
    if not items:
        return list(default)
    excluded = {item[1:] for item in items if item.startswith("-")}
    # Only exclusions ("-description") means the default set without them.
    chosen: list[str] = list(default) if len(excluded) == len(items) else []
    for item in items:
        if item in ("*all", "*navigable"):
            chosen.extend(available)
        elif not item.startswith("-") and item in available:
            chosen.append(item)
    return [name for name in dict.fromkeys(chosen) if name not in excluded]


def issue_json(site: Site, issue: Issue, api_version: int = 2, fields: str | list | None = None,
               properties: str | list | None = None, expand: str | None = None,
               default_fields: tuple[str, ...] | None = None) -> dict:
    """The issue as GET /rest/api/{2,3}/issue/{key} or a search returns it.

    The result shares values with `issue`: pass a copy, or serialise it while holding the lock.
    """
    all_fields = list(issue.fields)
    names = select(fields, all_fields, list(default_fields) if default_fields is not None else all_fields)
    body: dict[str, Any] = {"expand": ISSUE_EXPAND, "id": issue.id,
                            "self": site.link(f"/rest/api/{api_version}/issue/{issue.id}"), "key": issue.key}
    if names:
        body["fields"] = {name: _field_value(name, issue.fields[name], api_version) for name in names}
    if properties is not None:
        wanted = select(properties, list(issue.properties), [])
        body["properties"] = {name: issue.properties[name] for name in wanted}
    if expand and "names" in expand.split(","):
        body["names"] = {name: cat.FIELDS_BY_ID[name].name for name in names}
    return body


def _field_value(name: str, value: Any, api_version: int) -> Any:
    return adf(value) if api_version == 3 and name == "description" else value


def comment_json(site: Site, issue: Issue, comment: Comment, api_version: int = 2) -> dict:
    """A comment as /rest/api/{2,3}/issue/{key}/comment and Jira's webhooks show it.

    Cloud marks JSM visibility with `jsdPublic`; Data Center's REST comment has no such field
    (the service desk API's `public` is where DC clients read it).
    """
    author = site.user(comment.author)
    body = {"self": site.link(f"/rest/api/{api_version}/issue/{issue.id}/comment/{comment.id}"),
            "id": comment.id, "author": author,
            "body": adf(comment.body) if api_version == 3 else comment.body,
            "updateAuthor": author, "created": jira_time(comment.created),
            "updated": jira_time(comment.created)}
    if site.is_cloud:
        body["jsdPublic"] = comment.public
    return body


def jsm_comment_json(site: Site, issue: Issue, comment: Comment) -> dict:
    """A comment as /rest/servicedeskapi/request/{key}/comment shows it."""
    return {"id": comment.id, "body": comment.body, "public": comment.public,
            "author": site.jsm_user(comment.author), "created": site.jsm_date(comment.created),
            "_links": {"self": site.link(f"/rest/servicedeskapi/request/{issue.id}/comment/{comment.id}")}}


def request_json(site: Site, issue: Issue) -> dict:
    """A customer request as POST/GET /rest/servicedeskapi/request returns it."""
    request_type = cat.find_request_type(issue.request_type_id or "")
    values = [{"fieldId": fid, "label": cat.FIELDS_BY_ID[fid].name, "value": copy.deepcopy(issue.fields[fid])}
              for fid in cat.REQUEST_FORM_FIELDS if issue.fields.get(fid) is not None]
    return {"_expands": ["participant", "status", "sla", "requestType", "serviceDesk", "attachment",
                         "action", "comment"],
            "issueId": issue.id, "issueKey": issue.key,
            "requestTypeId": request_type.id if request_type else None,
            "serviceDeskId": cat.SERVICE_DESK_ID, "createdDate": site.jsm_date(issue.created),
            "reporter": site.jsm_user(issue.reporter), "requestFieldValues": values,
            "currentStatus": site.current_status(issue.status, issue.status_since),
            "_links": {"jiraRest": site.link(f"/rest/api/2/issue/{issue.id}"),
                       "web": site.link(f"/servicedesk/customer/portal/{cat.SERVICE_DESK_ID}/{issue.key}"),
                       "self": site.link(f"/rest/servicedeskapi/request/{issue.id}")}}
