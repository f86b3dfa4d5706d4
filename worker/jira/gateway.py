"""The only code that talks to Jira.

Each method sends its request(s) once and either returns Jira's JSON or raises a JiraError
(worker/jira/errors.py): it never sleeps and never retries, because the Celery task owns
retries (docs/DESIGN.md decision 5; worker/jira/retry.py has the countdown policy).

Endpoints: /rest/api/2 on Cloud and Data Center alike (v2 takes plain-text bodies and exists
on both), the JSM service desk API for comments and SLAs, and Cloud's /rest/api/2/search/jql
(token-paged; its v2 form exists alongside v3) where Data Center has /rest/api/2/search.

We use atlassian-python-api for auth, sessions and URL building, but call `request()` with
explicit paths in advanced mode rather than its resource helpers: those pick v3 on Cloud for
some resources (get_all_fields), read only the first page of service desk lists, and fold the
status into an HTTPError message (ServiceDesk.raise_for_status can even fail on an unexpected
body). Reading the Response ourselves keeps the status, the headers and Retry-After.

Shadow mode (SHADOW_MODE=1) is enforced here, for every caller at once: a gateway built with a
`shadow` recorder makes no write (edit, comment, property) and hands the recorder what it would
have sent, for the issue's audit trail; reads go out as usual.

`edit_issue` sends notifyUsers=false unless asked to notify. Jira documents that suppressing
notifications needs the Administer Jira or Administer Projects permission: Cloud's docs say the
flag is ignored for an account without it (the edit goes through, watchers get mail); Data
Center may refuse the edit with 403, which surfaces as JiraRejected with a hint. Grant the
automation account project admin on the service project, or pass notify_users=True.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import redis
import requests

from worker import clock
from worker.bodies import mapping, sequence
from worker.jira.client import build_client, secrets_of
from worker.jira.concurrency import Busy, SiteConcurrency
from worker.jira.errors import JiraError, JiraRejected, JiraRetryLater, JiraUnavailable, JiraWriteUncertain
from worker.jira.outcomes import error_for_status, redact
from worker.metrics import JIRA_CALL_SECONDS, JIRA_CALLS
from worker.settings import JiraSite, Settings

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # per request for searches and service desk lists; both APIs accept it
_SERVICE_DESK_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    # atlassian-python-api sends it for these resources, which older JSM versions marked
    # experimental; current versions ignore it.
    "X-ExperimentalApi": "opt-in",
}
_ABSENT = object()
COMMENT_CHARS = 32_767  # Jira refuses a longer comment body
# A write that timed out is looked for again only after this many JIRA_TIMEOUTs (JiraWriteUncertain).
WRITE_SETTLE_TIMEOUTS = 2


def _outcome(error: BaseException) -> str:
    if isinstance(error, JiraRetryLater):
        return "retry_later"
    if isinstance(error, JiraRejected):
        return "rejected"
    return "unavailable"


def _segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return quote(value.strip(), safe="")


def _names(values: Sequence[str], what: str) -> list[str]:
    if isinstance(values, str):  # a bare "summary,labels" would be split into letters
        raise TypeError(f"{what} must be a sequence of names, not the string {values!r}")
    names = list(values)
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{what} must hold non-empty strings, got {name!r}")
    return names


def _objects(values: Any) -> list[dict]:
    """The JSON objects of a list Jira returned; anything else in it (or instead of it) is skipped."""
    return [value for value in sequence(values) if isinstance(value, dict)]


def label_update(add: Iterable[str] = (), remove: Iterable[str] = ()) -> list[dict[str, str]]:
    """The `update["labels"]` operations adding and removing labels in one edit."""
    ops: list[dict[str, str]] = []
    for verb, labels in (("add", add), ("remove", remove)):
        for label in labels:
            if not isinstance(label, str) or not label or any(c.isspace() for c in label):
                raise ValueError(f"a Jira label must be a non-empty string without spaces, got {label!r}")
            ops.append({verb: label})
    return ops


# (issue key or id, operation, what it would have sent)
ShadowRecorder = Callable[[str, str, dict], None]


def shadow_writes(audit) -> ShadowRecorder:
    """Records each write shadow mode holds back in the issue's audit trail (`shadow_write`)."""
    def record(issue: str, operation: str, payload: dict) -> None:
        audit.record(issue, "shadow_write", operation=operation, would_write=payload)
    return record


def _log_shadow_write(issue: str, operation: str, payload: dict) -> None:
    log.info("shadow mode: %s on %s not sent", operation, issue)


class JiraGateway:
    """One Jira site. `calls` and `call_log` record every HTTP request, for the audit trail.

    With `shadow`, writes are recorded by it and never sent (call_log says "shadow"). With
    `concurrency`, each request first takes a slot of the site's shared limit and tells it how
    the call went (worker/jira/concurrency.py)."""

    def __init__(self, site: JiraSite, session: requests.Session | None = None,
                 shadow: ShadowRecorder | None = None, concurrency: SiteConcurrency | None = None):
        self._site = site
        self._concurrency = concurrency
        self._client = build_client(site, session)
        self._secrets = secrets_of(site)
        self._shadow = shadow
        self.calls = 0
        self.call_log: list[tuple[str, str]] = []

    @classmethod
    def from_settings(cls, settings: Settings, session: requests.Session | None = None,
                      audit=None, concurrency: SiteConcurrency | None = None) -> "JiraGateway":
        """The gateway of the configured site; in shadow mode its writes go to `audit` (or the log)."""
        if settings.jira is None:
            raise ValueError("Jira is not configured: set JIRA_URL and its credentials")
        shadow = None
        if settings.shadow_mode:
            shadow = shadow_writes(audit) if audit is not None else _log_shadow_write
        return cls(settings.jira, session, shadow=shadow, concurrency=concurrency)

    @property
    def shadow(self) -> bool:
        return self._shadow is not None

    def _held_back(self, operation: str, issue: str, payload: dict) -> bool:
        """In shadow mode, record the write instead of sending it, and say so (True)."""
        if self._shadow is None:
            return False
        _segment(issue, "issue key")
        self._shadow(issue, operation, payload)
        JIRA_CALLS.labels(operation=operation, outcome="shadow").inc()
        self.call_log.append((operation, "shadow"))
        return True

    @property
    def deployment(self) -> str:
        return self._site.deployment

    # -- issues ---------------------------------------------------------------------------

    def get_issue(self, key: str, fields: Sequence[str] | None = None,
                  properties: Sequence[str] = ()) -> dict:
        """The issue's JSON; requested properties come back under "properties"."""
        params: dict[str, str] = {}
        if fields is not None:
            params["fields"] = ",".join(_names(fields, "fields"))
        if properties:
            params["properties"] = ",".join(_names(properties, "properties"))
        return self._call("get_issue", "GET", f"/rest/api/2/issue/{_segment(key, 'issue key')}",
                          params=params, expect=dict)

    def edit_issue(self, key: str, fields: Mapping | None = None, update: Mapping | None = None,
                   notify_users: bool = False) -> None:
        """Set `fields` and apply `update` operations (e.g. label_update) in one PUT."""
        body: dict[str, Any] = {}
        if fields:
            body["fields"] = dict(fields)
        if update:
            body["update"] = dict(update)
        if not body:
            raise ValueError("edit_issue needs fields or update operations; nothing to send")
        overlap = set(body.get("fields", ())) & set(body.get("update", ()))
        if overlap:  # Jira answers 400 for a field named in both
            raise ValueError(f"fields and update both name {sorted(overlap)}; use one or the other")
        if self._held_back("edit_issue", key, body):
            return
        params = {} if notify_users else {"notifyUsers": "false"}
        hints = {} if notify_users else {403: "(notifyUsers=false needs Administer Jira or "
                                              "Administer Projects; grant it or pass notify_users=True)"}
        self._call("edit_issue", "PUT", f"/rest/api/2/issue/{_segment(key, 'issue key')}",
                   params=params, body=body, hints=hints)

    # -- users ----------------------------------------------------------------------------

    def get_user(self, *, account_id: str | None = None, username: str | None = None,
                 expand: Sequence[str] = ()) -> dict | None:
        """A user's JSON, or None when the site knows no such user.

        Cloud: GET /rest/api/3/user?accountId=... (emailAddress is there only when the user's
        profile visibility shows it to this account); Data Center: GET /rest/api/2/user?username=...
        `expand`: e.g. "applicationRoles", the applications the user may use (a licence).
        """
        if self._site.is_cloud:
            path, name, value = "/rest/api/3/user", "accountId", account_id
        else:
            path, name, value = "/rest/api/2/user", "username", username
        _segment(value, name)  # refuses an empty or missing one (requests quotes the parameter)
        params = {name: value.strip()}
        if expand:
            params["expand"] = ",".join(_names(expand, "expand"))
        found = self._call("get_user", "GET", path, params=params, expect=dict, absent_ok=True)
        return None if found is _ABSENT else found

    # -- JSM request comments and SLAs ----------------------------------------------------

    def add_internal_comment(self, key: str, body: str) -> dict:
        """Post an internal (agent-only) comment; returns Jira's comment JSON."""
        return self._add_comment("add_internal_comment", key, body, public=False)

    def add_public_comment(self, key: str, body: str) -> dict:
        """Post a comment the customer sees (the on-boarding message); returns Jira's comment JSON."""
        return self._add_comment("add_public_comment", key, body, public=True)

    def _add_comment(self, operation: str, key: str, body: str, *, public: bool) -> dict:
        if not isinstance(body, str) or not body.strip():
            raise ValueError("a comment needs a non-empty body")
        if len(body) > COMMENT_CHARS:
            raise ValueError(f"a comment of {len(body):,} characters is over Jira's {COMMENT_CHARS:,}")
        if self._held_back(operation, key, {"body": body, "public": public}):
            return {"body": body, "public": public}
        return self._call(operation, "POST",
                          f"/rest/servicedeskapi/request/{_segment(key, 'issue key')}/comment",
                          body={"body": body, "public": public}, expect=dict,
                          headers=_SERVICE_DESK_HEADERS)

    def get_comments(self, key: str) -> list[dict]:
        """Every comment on the request, public and internal, oldest first, all pages."""
        return self._service_desk_pages(
            "get_comments", f"/rest/servicedeskapi/request/{_segment(key, 'issue key')}/comment",
            {"public": "true", "internal": "true"})

    def get_sla(self, key: str) -> list[dict]:
        """The request's SLA metrics (each with ongoingCycle / completedCycles), all pages."""
        return self._service_desk_pages(
            "get_sla", f"/rest/servicedeskapi/request/{_segment(key, 'issue key')}/sla", {})

    def _service_desk_pages(self, operation: str, path: str, params: dict[str, str]) -> list[dict]:
        values: list[dict] = []
        while True:
            page = self._call(operation, "GET", path, expect=dict, headers=_SERVICE_DESK_HEADERS,
                              params={**params, "start": str(len(values)), "limit": str(PAGE_SIZE)})
            batch = _objects(page.get("values"))
            values.extend(batch)
            if page.get("isLastPage", True) or not batch:
                return values

    # -- issue properties -----------------------------------------------------------------

    def _property_path(self, key: str, name: str) -> str:
        return (f"/rest/api/2/issue/{_segment(key, 'issue key')}"
                f"/properties/{_segment(name, 'property name')}")

    def get_property(self, key: str, name: str) -> Any | None:
        """The property's value, or None when absent.

        Jira answers 404 both for a missing property and for an issue the account cannot see;
        both read as "absent" here, and a later write to a missing issue is rejected.
        """
        found = self._call("get_property", "GET", self._property_path(key, name),
                           expect=dict, absent_ok=True)
        return None if found is _ABSENT else found.get("value")

    def set_property(self, key: str, name: str, value: Any) -> None:
        if value is None:
            raise ValueError("an issue property needs a JSON value; use delete_property to remove it")
        if self._held_back("set_property", key, {"property": name, "value": value}):
            return
        self._call("set_property", "PUT", self._property_path(key, name), body=value)

    def delete_property(self, key: str, name: str) -> None:
        """Remove the property; deleting one that is already gone is not an error."""
        if self._held_back("delete_property", key, {"property": name}):
            return
        self._call("delete_property", "DELETE", self._property_path(key, name), absent_ok=True)

    # -- fields and search ----------------------------------------------------------------

    def get_fields(self) -> list[dict]:
        """Every system and custom field (id, name, schema, ...)."""
        return _objects(self._call("get_fields", "GET", "/rest/api/2/field", expect=list))

    def search(self, jql: str, fields: Sequence[str] = ("created",), properties: Sequence[str] = (),
               limit: int = 1000) -> list[dict]:
        """Issues matching `jql`, at most `limit`, following Jira's paging.

        Empty `fields` lets Jira pick its default set (id/key on Cloud, navigable fields on DC).
        """
        if not isinstance(jql, str) or not jql.strip():
            raise ValueError("search needs a non-empty JQL query")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"search limit must be a positive whole number, got {limit!r}")
        field_names = _names(fields, "fields")
        property_names = _names(properties, "properties")
        if self._site.is_cloud:
            return self._search_cloud(jql, field_names, property_names, limit)
        return self._search_datacenter(jql, field_names, property_names, limit)

    def _search_cloud(self, jql: str, fields: list[str], properties: list[str], limit: int) -> list[dict]:
        issues: list[dict] = []
        token: str | None = None
        while len(issues) < limit:
            body: dict[str, Any] = {"jql": jql, "maxResults": min(PAGE_SIZE, limit - len(issues))}
            if fields:
                body["fields"] = fields
            if properties:
                body["properties"] = properties
            if token:
                body["nextPageToken"] = token
            page = self._call("search", "POST", "/rest/api/2/search/jql", body=body, expect=dict)
            batch = _objects(page.get("issues"))
            issues.extend(batch)
            token = page.get("nextPageToken") if isinstance(page.get("nextPageToken"), str) else None
            if page.get("isLast") or not token or not batch:
                break
        return issues[:limit]

    def _search_datacenter(self, jql: str, fields: list[str], properties: list[str],
                           limit: int) -> list[dict]:
        issues: list[dict] = []
        while len(issues) < limit:
            params = {"jql": jql, "startAt": str(len(issues)),
                      "maxResults": str(min(PAGE_SIZE, limit - len(issues)))}
            if fields:
                params["fields"] = ",".join(fields)
            if properties:
                params["properties"] = ",".join(properties)
            page = self._call("search", "GET", "/rest/api/2/search", params=params, expect=dict)
            batch = _objects(page.get("issues"))
            issues.extend(batch)
            total = page.get("total")
            if not batch or (isinstance(total, int) and len(issues) >= total):
                break
        return issues[:limit]

    # -- the one place a request goes out -------------------------------------------------

    def _call(self, operation: str, method: str, path: str, *, params: Mapping[str, str] | None = None,
              body: Any = None, expect: type | None = None, absent_ok: bool = False,
              headers: Mapping[str, str] | None = None, hints: Mapping[int, str] | None = None) -> Any:
        """Send one request; return its JSON (of type `expect`), None, or _ABSENT for a 404.

        `hints` adds a sentence to the rejection message for the given statuses.
        """
        where = f"{method} {path}"
        slot = self._take_slot(operation, where)
        outcome = "unavailable"
        retry_after = 0.0
        started = time.perf_counter()
        try:
            try:
                response = self._client.request(
                    method, path, params=dict(params or {}) or None, json=body,
                    headers=dict(headers) if headers else None, advanced_mode=True)
            except requests.RequestException as exc:
                detail = redact(f"{type(exc).__name__}: {exc}", self._secrets)
                if method != "GET" and isinstance(exc, requests.ReadTimeout):
                    # Sent, unanswered: Jira may carry it out after we gave up (chaos run, issue 11).
                    raise JiraWriteUncertain(f"Jira did not answer {where} in time: {detail}",
                                             settle=WRITE_SETTLE_TIMEOUTS * self._site.timeout) from None
                raise JiraUnavailable(f"Jira unreachable for {where}: {detail}") from None
            if absent_ok and response.status_code == 404:
                outcome = "ok"
                return _ABSENT
            error = error_for_status(where, response.status_code, response.headers, response.text,
                                     clock.now(), reason=response.reason or "", secrets=self._secrets)
            if isinstance(error, JiraRejected) and hints and error.status in hints:
                error = JiraRejected(f"{error} {hints[error.status]}", error.status,
                                     error.error_messages, error.field_errors)
            if error is not None:
                raise error
            result = None
            if expect is not None:
                result = self._json(response, where, expect)
            outcome = "ok"
            log.debug("Jira %s -> %s", where, response.status_code)
            return result
        except JiraError as error:
            outcome = _outcome(error)
            retry_after = getattr(error, "retry_after", 0.0)
            level = logging.INFO if outcome == "retry_later" else logging.WARNING
            log.log(level, "%s", error, extra={"jira_operation": operation, "jira_outcome": outcome})
            raise
        finally:
            self._give_back(slot, outcome, retry_after)
            JIRA_CALLS.labels(operation=operation, outcome=outcome).inc()
            JIRA_CALL_SECONDS.labels(operation=operation).observe(time.perf_counter() - started)
            self.calls += 1
            self.call_log.append((operation, outcome))

    def _take_slot(self, operation: str, where: str) -> str | None:
        """A slot of the site's shared limit (None without one); JiraRetryLater when Jira asked
        every caller to wait, or no slot came free: the request is then not sent at all."""
        if self._concurrency is None:
            return None
        try:
            return self._concurrency.acquire()
        except Busy as busy:
            JIRA_CALLS.labels(operation=operation, outcome="held").inc()
            raise JiraRetryLater(f"{where} not sent: {busy}", retry_after=busy.retry_after) from None
        except (redis.RedisError, OSError) as exc:
            # The limit guards Jira's rate limit; it is no reason to stop calling Jira.
            log.warning("Jira call slots unavailable (%s): calling without one", type(exc).__name__)
            return None

    def _give_back(self, slot: str | None, outcome: str, retry_after: float) -> None:
        if slot is None:
            return
        feedback = {"ok": "ok", "retry_later": "throttled"}.get(outcome, "other")
        try:
            self._concurrency.release(slot, feedback, retry_after)
        except (redis.RedisError, OSError) as exc:  # the slot's lease ends by itself
            log.warning("could not give back a Jira call slot (%s)", type(exc).__name__)

    def _json(self, response: requests.Response, where: str, expect: type) -> Any:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, expect):
            # A 2xx that is not Jira's JSON is a proxy or maintenance page: try again later.
            raise JiraUnavailable(f"Jira answered {where} ({response.status_code}) with a body "
                                  f"that is not the expected JSON {expect.__name__}")
        return data
