"""The JSON shapes Jira uses for users, dates, priorities, statuses and friends, per flavor.

Cloud identifies people by `accountId`; Data Center by `name`/`key`. Both flavors share every
other shape here. Links point at the simulator's own base URL, as Jira's point at the site.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import quote

from jirasim import catalogue as cat

FLAVORS = ("cloud", "datacenter")
EMAIL_VISIBILITIES = ("anyone", "admins", "nobody")
_ID_NAMESPACE = uuid.UUID("6f1c0c57-3c55-4d1e-9d7a-2f3b2c6a9e10")


@dataclass(frozen=True)
class User:
    account_id: str
    name: str
    email: str
    display_name: str
    account_type: str = "atlassian"  # "customer" for portal-only JSM customers
    # Who sees the email (Cloud's profile visibility): "anyone"; "admins" (left out of issues and
    # webhooks, shown when the automation account looks the user up); "nobody" (never shown).
    email_visibility: str = "anyone"

    def identities(self) -> tuple[str, ...]:
        """Every string JQL or raiseOnBehalfOf may use to name this user."""
        return (self.account_id, self.name, self.email)


def user_for_email(email: str, customer: bool = False) -> User:
    """A stable user for an email: the same email gives the same accountId in every run."""
    email = email.strip()
    local = email.split("@", 1)[0] or "user"
    stable = uuid.uuid5(_ID_NAMESPACE, email.lower())
    # Portal-only JSM customers have "qm:" account ids on Cloud; licensed users do not.
    account_id = f"qm:{stable}" if customer else f"712020:{stable}"
    display = " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)
    return User(account_id=account_id, name=local, email=email, display_name=display or local,
                account_type="customer" if customer else "atlassian")


def customer_account_id(email: str) -> str:
    """The Cloud accountId the simulator gives the portal customer with this email."""
    return user_for_email(email, customer=True).account_id


# Who acts when a Data Center caller presents a token: a PAT belongs to one service account.
AUTOMATION_USER = User(account_id="712020:psw-automation", name="psw-automation",
                       email="psw-automation@example.com", display_name="Priority Support automation")


def jira_time(moment: datetime) -> str:
    """Jira's timestamp format, e.g. 2026-11-26T10:00:00.000+0000 (always UTC here)."""
    moment = moment.astimezone(timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+0000"


@lru_cache(maxsize=4096)
def parse_jira_time(text: str) -> datetime:
    """Parse Jira's timestamp format; ValueError when `text` is not in it."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def adf(text: str | None) -> dict | None:
    """Plain text as an Atlassian Document Format document (what /rest/api/3 speaks)."""
    if text is None:
        return None
    paragraphs = text.split("\n\n")
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": p}] if p else []}
        for p in paragraphs]}


def adf_text(doc: dict) -> str:
    """The text of an ADF document, paragraphs separated by blank lines."""
    def walk(node) -> str:
        if not isinstance(node, dict):
            raise ValueError("an ADF node must be a JSON object")
        if node.get("type") == "text":
            return str(node.get("text", ""))
        if node.get("type") == "hardBreak":
            return "\n"
        return "".join(walk(child) for child in node.get("content", []))
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        raise ValueError("an ADF value must be an object with type 'doc'")
    return "\n\n".join(walk(block) for block in doc.get("content", []))


class Site:
    """Renders the site's objects as JSON for one flavor and base URL."""

    def __init__(self, flavor: str = "cloud", base_url: str = "http://127.0.0.1"):
        if flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {FLAVORS}, got {flavor!r}")
        self.flavor = flavor
        self.base_url = base_url.rstrip("/")

    @property
    def is_cloud(self) -> bool:
        return self.flavor == "cloud"

    def link(self, path: str) -> str:
        return f"{self.base_url}{path}"

    @staticmethod
    def _email(user: User, lookup: bool) -> dict:
        """Jira leaves `emailAddress` out where the user's profile hides it."""
        shown = user.email_visibility == "anyone" or (lookup and user.email_visibility == "admins")
        return {"emailAddress": user.email} if shown else {}

    def user(self, user: User, lookup: bool = False) -> dict:
        """A user as issues, comments and webhooks show it; `lookup`: as GET /rest/api/N/user does."""
        common = {**self._email(user, lookup), "avatarUrls": self._avatars(user),
                  "displayName": user.display_name, "active": True, "timeZone": "Etc/UTC"}
        if self.is_cloud:
            return {"self": self.link(f"/rest/api/2/user?accountId={quote(user.account_id)}"),
                    "accountId": user.account_id, **common, "accountType": user.account_type}
        return {"self": self.link(f"/rest/api/2/user?username={quote(user.name)}"),
                "name": user.name, "key": user.name, **common}

    def user_ref(self, user: User) -> str:
        """How the flavor names a user in changelogs and request bodies."""
        return user.account_id if self.is_cloud else user.name

    def jsm_user(self, user: User) -> dict:
        shape = {**self._email(user, False), "displayName": user.display_name, "active": True,
                 "timeZone": "Etc/UTC", "_links": {"self": self.user(user)["self"]}}
        if self.is_cloud:
            return {"accountId": user.account_id, **shape}
        return {"name": user.name, "key": user.name, **shape}

    def _avatars(self, user: User) -> dict:
        base = self.link(f"/secure/useravatar?ownerId={quote(user.name)}")
        return {size: f"{base}&size={size}" for size in ("48x48", "24x24", "16x16", "32x32")}

    def jsm_date(self, moment: datetime) -> dict:
        moment = moment.astimezone(timezone.utc)
        return {"iso8601": f"{moment:%Y-%m-%dT%H:%M:%S}+0000", "jira": jira_time(moment),
                "friendly": f"{moment:%d/%b/%y %I:%M %p}",
                "epochMillis": int(moment.timestamp() * 1000)}

    def priority(self, priority: cat.Priority) -> dict:
        return {"self": self.link(f"/rest/api/2/priority/{priority.id}"),
                "iconUrl": self.link(f"/images/icons/priorities/{priority.name.lower()}.svg"),
                "name": priority.name, "id": priority.id}

    def status_category(self, category: cat.StatusCategory) -> dict:
        return {"self": self.link(f"/rest/api/2/statuscategory/{category.id}"), "id": category.id,
                "key": category.key, "colorName": category.color, "name": category.name}

    def status(self, status: cat.Status) -> dict:
        return {"self": self.link(f"/rest/api/2/status/{status.id}"), "description": "",
                "iconUrl": self.link("/images/icons/statuses/generic.png"), "name": status.name,
                "id": status.id, "statusCategory": self.status_category(status.category)}

    def issuetype(self, issuetype: cat.IssueType) -> dict:
        return {"self": self.link(f"/rest/api/2/issuetype/{issuetype.id}"), "id": issuetype.id,
                "description": "", "name": issuetype.name, "subtask": False}

    def project(self) -> dict:
        return {"self": self.link(f"/rest/api/2/project/{cat.PROJECT_ID}"), "id": cat.PROJECT_ID,
                "key": cat.PROJECT_KEY, "name": cat.PROJECT_NAME, "projectTypeKey": "service_desk"}

    def option(self, option: cat.Option) -> dict:
        return {"self": self.link(f"/rest/api/2/customFieldOption/{option.id}"),
                "value": option.value, "id": option.id}

    def request_type(self, request_type: cat.RequestType) -> dict:
        return {"_expands": ["field"], "id": request_type.id,
                "_links": {"self": self.link(f"/rest/servicedeskapi/servicedesk/{cat.SERVICE_DESK_ID}"
                                             f"/requesttype/{request_type.id}")},
                "name": request_type.name, "description": request_type.description, "helpText": "",
                "issueTypeId": request_type.issue_type.id, "serviceDeskId": cat.SERVICE_DESK_ID,
                "portalId": cat.SERVICE_DESK_ID, "groupIds": []}

    def request_type_value(self, request_type: cat.RequestType, issue_id: str, key: str,
                           status: cat.Status, since: datetime) -> dict:
        """The value of the Request Type field (customfield_10010) as Cloud returns it."""
        return {"_links": {"jiraRest": self.link(f"/rest/api/2/issue/{issue_id}"),
                           "web": self.link(f"/servicedesk/customer/portal/{cat.SERVICE_DESK_ID}/{key}"),
                           "self": self.link(f"/rest/servicedeskapi/request/{issue_id}")},
                "requestType": self.request_type(request_type),
                "currentStatus": self.current_status(status, since)}

    def current_status(self, status: cat.Status, since: datetime) -> dict:
        return {"status": status.name, "statusCategory": status.category.key.upper(),
                "statusDate": self.jsm_date(since)}

    def field(self, field: cat.FieldDef) -> dict:
        """One entry of GET /rest/api/2/field."""
        clause = [f"cf[{field.custom_id}]", field.name] if field.custom else [field.id]
        return {"id": field.id, "key": field.id, "name": field.name, "custom": field.custom,
                "orderable": field.editable, "navigable": True, "searchable": True,
                "clauseNames": clause, "schema": _schema(field)}


_SYSTEM_SCHEMA = {"string": "string", "text": "string", "priority": "priority", "labels": "array",
                  "status": "status", "status_category": "statusCategory", "user": "user",
                  "datetime": "datetime", "issuetype": "issuetype", "project": "project"}
_CUSTOM_TYPES = {
    "string": ("string", "com.atlassian.jira.plugin.system.customfieldtypes:textfield"),
    "option": ("option", "com.atlassian.jira.plugin.system.customfieldtypes:select"),
    "datetime": ("datetime", "com.atlassian.jira.plugin.system.customfieldtypes:datetime"),
    "request_type": ("sd-customerrequesttype", "com.atlassian.servicedesk:vp-origin"),
}


def _schema(field: cat.FieldDef) -> dict:
    if field.custom:
        kind, custom = _CUSTOM_TYPES[field.kind]
        return {"type": kind, "custom": custom, "customId": field.custom_id}
    schema = {"type": _SYSTEM_SCHEMA[field.kind], "system": field.id}
    if field.kind == "labels":
        schema["items"] = "string"
    return schema
