"""The simulated site's state: issues, comments, properties, SLAs, users and a log of calls.

Thread-safe: one re-entrant lock guards everything, and webhook bodies are built and queued
under it, so deliveries leave in the order the changes happened and show the state right
after each change. Reads hand out snapshots (Issue.copy). The rule that makes shallow
snapshots safe: a stored value (a field's JSON, a property, a comment) is never changed in
place, only replaced by a new object.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, NamedTuple

from jirasim import catalogue as cat
from jirasim import events, jql
from jirasim.edits import NOT_ON_SCREEN, Change, FieldError, FieldErrors, ValueContext, apply_edit, convert
from jirasim.model import Comment, Issue
from jirasim.shapes import AUTOMATION_USER, Site, User, jira_time, user_for_email

MAX_PROPERTY_BYTES = 32768  # Jira's limit for one entity property value


class IssueNotFound(LookupError):
    def __init__(self, ref: str):
        super().__init__(f"Issue does not exist or you do not have permission to see it: {ref}")
        self.ref = ref


class RequestRejected(ValueError):
    """A service desk API refusal: 400 {"errorMessage": ..., "i18nErrorMessage": ...}."""

    def __init__(self, message: str, i18n_key: str, status: int = 400):
        super().__init__(message)
        self.i18n_key = i18n_key
        self.status = status


class Clock:
    """The simulator's now(). Real time read through datetime.now(timezone.utc) (so
    time-machine moves it), optionally pinned to an instant and/or shifted by an offset."""

    def __init__(self) -> None:
        self._pinned: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        base = self._pinned if self._pinned is not None else datetime.now(timezone.utc)
        return base + self._offset

    def pin(self, moment: datetime | None) -> None:
        if moment is not None and moment.tzinfo is None:
            raise ValueError("pin the simulator clock to a timezone-aware datetime")
        self._pinned = moment
        self._offset = timedelta()

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)

    def reset(self) -> None:
        self.pin(None)


class Call(NamedTuple):
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    at: float = 0.0  # time.time() when answered, for latency measurements


class CallLog:
    def __init__(self, limit: int = 200_000):
        self._calls: deque[Call] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def list(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


Emit = Callable[[str, dict, str], None]  # (event, payload, issue key)


@dataclass
class _Counters:
    issue: int = 1
    comment: int = 10000
    changelog: int = 10000


class Store:
    def __init__(self, site: Site, clock: Clock | None = None, emit: Emit | None = None):
        self.site = site
        self.clock = clock or Clock()
        self.emit = emit
        self.calls = CallLog()
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._issues: dict[str, Issue] = {}
            self._ids: dict[str, str] = {}
            self._users: dict[str, User] = {}
            self._counters = _Counters()
            self.hidden_fields: set[str] = set()
            self.register_user(AUTOMATION_USER)
            for email in cat.AGENT_EMAILS:  # the routing roster's engineers: licensed agents
                self.register_user(user_for_email(email))
        self.calls.clear()

    # -- users -------------------------------------------------------------------------------

    def register_user(self, user: User) -> User:
        """Add a user; a user already known by that email or accountId is returned instead."""
        with self._lock:
            known = self._users.get(user.email.casefold()) or self._users.get(user.account_id.casefold())
            if known is not None:
                return known
            for identity in user.identities():
                self._users.setdefault(identity.casefold(), user)
            return user

    def find_user(self, identity: str) -> User | None:
        with self._lock:
            return self._users.get(identity.strip().casefold())

    # -- reading -----------------------------------------------------------------------------

    def _get(self, ref: str) -> Issue:
        key = self._ids.get(ref, ref.upper() if isinstance(ref, str) else ref)
        issue = self._issues.get(key)
        if issue is None:
            raise IssueNotFound(ref)
        return issue

    def issue(self, ref: str) -> Issue:
        """A copy of the issue with this key or id; IssueNotFound when there is none."""
        with self._lock:
            return self._get(ref).copy()

    def exists(self, ref: str) -> bool:
        with self._lock:
            return ref in self._ids or ref.upper() in self._issues

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._issues)

    def search(self, query: str, start: int = 0, limit: int | None = None, *,
               require_bound: bool = False) -> tuple[list[Issue], int]:
        """(copies of the matching issues from `start`, at most `limit`; the total matching),
        in the query's order. JqlError for JQL the simulator refuses."""
        parsed = jql.parse(query, self.clock.now(), self.exists)
        if require_bound and not parsed.bounded:
            raise jql.JqlError("Unbounded JQL queries are not allowed here. Please add a search "
                               "restriction to your query.")
        with self._lock:
            found = parsed.run(self._issues.values())
            end = len(found) if limit is None else start + limit
            return [i.copy() for i in found[start:end]], len(found)

    # -- creating ----------------------------------------------------------------------------

    def _context(self, api_version: int) -> ValueContext:
        return ValueContext(self.site, api_version, self.find_user)

    def create_issue(self, fields: Any, caller: User, *, api_version: int = 2,
                     created: datetime | None = None, fire: bool = True) -> Issue:
        """POST /rest/api/2/issue: FieldErrors unless project, issuetype and summary are valid."""
        if not isinstance(fields, dict):
            raise FieldErrors({}, ["The request body must carry 'fields' as a JSON object."])
        fields = dict(fields)
        errors: dict[str, str] = {}
        project = fields.pop("project", None)
        if not isinstance(project, dict) or not (project.get("key") == cat.PROJECT_KEY
                                                 or project.get("id") == cat.PROJECT_ID):
            errors["project"] = "Specify a valid project ID or key"
        raw_type = fields.pop("issuetype", None)
        issue_type = next((t for t in cat.ISSUE_TYPES if isinstance(raw_type, dict)
                           and (raw_type.get("id") == t.id or raw_type.get("name") == t.name)), None)
        if issue_type is None:
            errors["issuetype"] = "Specify an issue type"
        fields.setdefault("summary", None)
        values, value_errors = self._convert_all(fields, api_version)
        errors.update(value_errors)
        if errors:
            raise FieldErrors(errors)
        return self._insert(values, caller, caller, issue_type, None, created, fire)

    def create_request(self, body: Any, caller: User, *, created: datetime | None = None,
                       fire: bool = True) -> Issue:
        """POST /rest/servicedeskapi/request: RequestRejected in the service desk API's terms."""
        if not isinstance(body, dict):
            raise RequestRejected("The request body must be a JSON object.", "sd.request.body.invalid")
        if str(body.get("serviceDeskId", "")) != cat.SERVICE_DESK_ID:
            raise RequestRejected(f"Service desk '{body.get('serviceDeskId')}' does not exist.",
                                  "sd.service.desk.not.found", status=404)
        request_type = next((rt for rt in cat.REQUEST_TYPES if rt.id == str(body.get("requestTypeId", ""))), None)
        if request_type is None:
            raise RequestRejected(f"Request type '{body.get('requestTypeId')}' does not exist in this "
                                  "service desk.", "sd.request.type.not.found")
        values = body.get("requestFieldValues") or {}
        if not isinstance(values, dict):
            raise RequestRejected("requestFieldValues must be a JSON object.", "sd.request.fields.invalid")
        foreign = [fid for fid in values if fid not in cat.REQUEST_FORM_FIELDS]
        if foreign:
            raise RequestRejected(f"The field(s) {', '.join(foreign)} cannot be set on request type "
                                  f"'{request_type.name}'.", "sd.request.fields.not.in.request.type")
        reporter = self._on_behalf_of(body.get("raiseOnBehalfOf"), caller)
        converted, errors = self._convert_all({"summary": None, **values}, api_version=2)
        if errors:
            detail = "; ".join(f"{cat.FIELDS_BY_ID[f].name}: {m}" for f, m in errors.items())
            raise RequestRejected(f"Your request could not be created. {detail}", "sd.request.create.error")
        return self._insert(converted, caller, reporter, request_type.issue_type, request_type, created, fire)

    def _on_behalf_of(self, raw: Any, caller: User) -> User:
        if raw is None:
            return caller
        if not isinstance(raw, str) or not raw.strip():
            raise RequestRejected("raiseOnBehalfOf must name a customer.", "sd.request.reporter.invalid")
        known = self.find_user(raw)
        if known is not None:
            return known
        if "@" in raw:  # JSM signs an unknown email up as a portal customer
            return self.register_user(user_for_email(raw, customer=True))
        raise RequestRejected(f"The user '{raw}' does not exist.", "sd.request.reporter.not.found")

    def _convert_all(self, raw: dict, api_version: int) -> tuple[dict, dict[str, str]]:
        ctx = self._context(api_version)
        values, errors = {}, {}
        for field_id, value in raw.items():
            field = cat.FIELDS_BY_ID.get(field_id)
            if field is None or not field.editable:
                errors[field_id] = NOT_ON_SCREEN.format(field_id)
                continue
            try:
                values[field_id] = convert(field, value, ctx)
            except FieldError as exc:
                errors[field_id] = str(exc)
        return values, errors

    def _insert(self, values: dict, caller: User, reporter: User, issue_type: cat.IssueType,
                request_type: cat.RequestType | None, created: datetime | None, fire: bool) -> Issue:
        with self._lock:
            now = self.clock.now()
            created = created or now
            if created.tzinfo is None:
                raise ValueError("an issue's created time must be timezone-aware")
            number = self._counters.issue
            self._counters.issue += 1
            key, issue_id = f"{cat.PROJECT_KEY}-{number}", str(10000 + number)
            status = cat.INITIAL_STATUS
            fields: dict[str, Any] = {f.id: None for f in cat.FIELDS}
            fields.update({
                "priority": self.site.priority(cat.DEFAULT_PRIORITY), "labels": [],
                "status": self.site.status(status),
                "statusCategory": self.site.status_category(status.category),
                "reporter": self.site.user(reporter), "created": jira_time(created),
                "updated": jira_time(created), "issuetype": self.site.issuetype(issue_type),
                "project": self.site.project()})
            if request_type is not None:
                fields[cat.REQUEST_TYPE_FIELD] = self.site.request_type_value(
                    request_type, issue_id, key, status, created)
            fields.update(values)
            if values.get("reporter"):
                named = values["reporter"].get("accountId") or values["reporter"].get("name")
                reporter = self.find_user(named) or reporter
            issue = Issue(issue_id, key, fields, reporter, created, created,
                          request_type.id if request_type else None)
            self._issues[key] = issue
            self._ids[issue_id] = key
            if fire:
                self.fire_created(key, caller)
            return issue.copy()

    def fire_created(self, key: str, caller: User) -> None:
        """The `jira:issue_created` webhook of an issue (made with `fire=False` to prepare it first)."""
        with self._lock:
            issue = self._get(key)
            payload = events.issue_created(self.site, issue, caller, self.clock.now(), self._changelog_id())
            self._fire(events.ISSUE_CREATED, payload, key)

    # -- changing ----------------------------------------------------------------------------

    def edit(self, ref: str, body: Any, caller: User, api_version: int = 2) -> list[Change]:
        """PUT /rest/api/2/issue/{key}: FieldErrors for a field off screen or a bad value."""
        with self._lock:
            issue = self._get(ref)
            fields = dict(issue.fields)
            changes = apply_edit(fields, body, self._context(api_version), frozenset(self.hidden_fields))
            if changes:
                now = self.clock.now()
                fields["updated"] = jira_time(now)
                issue.fields = fields
                payload = events.issue_updated(self.site, issue, caller, now, changes, self._changelog_id())
                self._fire(events.ISSUE_UPDATED, payload, issue.key)
            return changes

    def set_status(self, ref: str, status_ref: str, caller: User = AUTOMATION_USER) -> None:
        """Move the issue to a status (what a workflow transition does)."""
        status = cat.find_status(status_ref)
        if status is None:
            raise ValueError(f"unknown status {status_ref!r}; the site has "
                             f"{', '.join(s.name for s in cat.STATUSES)}")
        with self._lock:
            issue = self._get(ref)
            before = issue.fields["status"]
            if before["id"] == status.id:
                return
            now = self.clock.now()
            issue.fields["status"] = self.site.status(status)
            issue.fields["statusCategory"] = self.site.status_category(status.category)
            issue.fields["updated"] = jira_time(now)
            issue.status_since = now
            if issue.fields.get(cat.REQUEST_TYPE_FIELD):
                issue.fields[cat.REQUEST_TYPE_FIELD] = {**issue.fields[cat.REQUEST_TYPE_FIELD],
                                                        "currentStatus": self.site.current_status(status, now)}
            change = Change(cat.FIELDS_BY_ID["status"], before, issue.fields["status"])
            payload = events.issue_updated(self.site, issue, caller, now, [change], self._changelog_id(),
                                           type_name="issue_generic")
            self._fire(events.ISSUE_UPDATED, payload, issue.key)

    def add_comment(self, ref: str, body: Any, public: bool, author: User, fire: bool = True) -> Comment:
        if not isinstance(body, str) or not body.strip():
            raise FieldErrors({"comment": "Comment body can not be empty!"})
        with self._lock:
            issue = self._get(ref)
            now = self.clock.now()
            comment = Comment(str(self._counters.comment), author, body, bool(public), now)
            self._counters.comment += 1
            issue.comments.append(comment)
            issue.fields["updated"] = jira_time(now)
            if fire:
                self._fire(events.COMMENT_CREATED, events.comment_created(self.site, issue, comment, now),
                           issue.key)
                self._fire(events.ISSUE_UPDATED, events.issue_commented(self.site, issue, comment, now),
                           issue.key)
            return comment

    def set_property(self, ref: str, key: str, value: Any, size: int) -> bool:
        """Store an issue property; True when it was created, False when replaced."""
        if size > MAX_PROPERTY_BYTES:
            raise FieldErrors({}, [f"The property value is {size} bytes; the limit is {MAX_PROPERTY_BYTES}."])
        if not key or len(key) > 255:
            raise FieldErrors({}, ["The property key must be 1 to 255 characters."])
        with self._lock:
            issue = self._get(ref)
            created = key not in issue.properties
            issue.properties[key] = value
            return created

    def delete_property(self, ref: str, key: str) -> bool:
        with self._lock:
            return self._get(ref).properties.pop(key, _MISSING) is not _MISSING

    def set_sla(self, ref: str, values: list[dict]) -> None:
        """What GET .../request/{key}/sla returns under "values" (SLA metrics with cycles)."""
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            raise ValueError("SLA values must be a list of JSON objects")
        with self._lock:
            self._get(ref).sla = list(values)

    # -- events ------------------------------------------------------------------------------

    def _changelog_id(self) -> str:
        self._counters.changelog += 1
        return str(self._counters.changelog)

    def _fire(self, event: str, payload: dict, key: str) -> None:
        if self.emit is not None:
            self.emit(event, payload, key)


_MISSING = object()
