"""The facts of one request, read from a webhook's issue (Cloud or Data Center shape). Pure.

A fact the body does not carry at all (its field key is absent, as in the trimmed issue of a
comment webhook) is listed in `missing`, so the task knows it must read the issue before
deciding; a field that is present but empty is a known "no value".
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from worker.bodies import mapping, shorten
from worker.config.models import MappingConfig
from worker.instants import NotAnInstant, parse_instant

# Jira's limit for a single-line text field, an option, a version or a summary: a longer value
# is no real fact, and cutting it (with an ellipsis, so it can never match) bounds every echo.
FACT_CHARS = 255
# A description is read only for the language and pattern rules, never echoed: enough text for
# them, bounded work per request.
DESCRIPTION_CHARS = 8000


@dataclass(frozen=True)
class Reporter:
    account_id: str | None = None  # Cloud
    username: str | None = None  # Data Center `name`
    key: str | None = None  # Data Center `key`
    email: str | None = None
    display_name: str | None = None

    def identities(self) -> frozenset[str]:
        """Every identifier an admin list may name this person by, case-folded."""
        return frozenset(v.casefold() for v in (self.account_id, self.username, self.key, self.email) if v)

    def __str__(self) -> str:
        return self.display_name or self.email or self.username or self.account_id or "(unknown)"


@dataclass(frozen=True)
class RequestFacts:
    issue_key: str
    issue_id: str | None = None
    created: datetime | None = None
    summary: str | None = None
    description: str | None = None  # read only when an out-of-scope rule looks at it
    sen: str | None = None
    product: str | None = None
    version: str | None = None
    environment: str | None = None
    severity_option: str | None = None
    priority: str | None = None
    impact: str | None = None
    urgency: str | None = None
    request_type_name: str | None = None
    request_type_id: str | None = None
    reporter: Reporter | None = None
    extra_fields: Mapping[str, str | None] = field(default_factory=dict)  # fields out-of-scope rules read
    missing: tuple[str, ...] = ()
    # Facts whose field holds a value of a shape no reader understands (an object without a value,
    # a boolean), fact -> what it holds: not "no value", so nothing may be decided from them.
    unreadable: Mapping[str, str] = field(default_factory=dict)


def parse_jira_datetime(text: str) -> datetime:
    """'2026-11-26T10:00:00.000+0000' (Jira's format) or any ISO 8601 instant with an offset."""
    try:
        return parse_instant(text, "created")
    except NotAnInstant:
        raise ValueError(f"{shorten(repr(text))} is not a Jira timestamp such as 2026-11-26T10:00:00.000+0000") from None


def field_text(value: Any) -> str | None:
    """The text of a field value of any common shape: text, option, named object, or a list of them."""
    if value is None:
        return None
    if isinstance(value, str):
        return shorten(value.strip(), FACT_CHARS) or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return shorten(str(value), FACT_CHARS)
    if isinstance(value, dict):
        for key in ("value", "name", "displayName", "key"):
            if isinstance(value.get(key), str):
                return field_text(value[key])
        return None
    if isinstance(value, list):
        # A list of options; a list inside it is no field value Jira sends.
        return next((text for item in value if not isinstance(item, list) and (text := field_text(item))), None)
    return None


def shape_of(value: Any) -> str:
    """What a value is, in words, for a sentence naming a field that cannot be read."""
    if isinstance(value, dict):
        keys = ", ".join(shorten(str(key), 40) for key in list(value)[:5])
        return f"an object with keys {keys}" if keys else "an empty object"
    if isinstance(value, list):
        return "a list of values that are not text"
    return f"the value {shorten(repr(value), 40)}"


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _request_type(value: Any) -> tuple[str | None, str | None]:
    """(name, id) of a JSM request type: Cloud {"requestType": {"id", "name"}}, or a bare key/name."""
    if isinstance(value, dict):
        inner = value.get("requestType") if isinstance(value.get("requestType"), dict) else value
        name = field_text(inner.get("name")) if isinstance(inner.get("name"), str) else field_text(inner)
        return name, field_text(inner.get("id"))
    text = field_text(value)
    return text, text


def description_text(value: Any) -> str | None:
    """The description's text: wiki markup as Jira REST v2 and webhooks send it, or the text nodes
    of an Atlassian Document Format document (REST v3), cut to DESCRIPTION_CHARS."""
    if isinstance(value, str):
        return value[:DESCRIPTION_CHARS].strip() or None
    parts: list[str] = []
    size = 0
    stack = [value]
    while stack and size < DESCRIPTION_CHARS:  # iterative: a document nested 1,000 deep is no crash
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "text" and isinstance(node.get("text"), str):
                parts.append(node["text"])
                size += len(node["text"]) + 1
            stack.extend(reversed(node["content"]) if isinstance(node.get("content"), list) else ())
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return " ".join(parts)[:DESCRIPTION_CHARS].strip() or None


def _reporter(value: Any) -> Reporter | None:
    if not isinstance(value, dict):
        return None
    def text(key: str) -> str | None:
        return shorten(value[key], FACT_CHARS) if isinstance(value.get(key), str) and value[key] else None
    return Reporter(account_id=text("accountId"), username=text("name"), key=text("key"),
                    email=text("emailAddress"), display_name=text("displayName"))


def extract_facts(webhook_issue: Mapping[str, Any], config: MappingConfig) -> RequestFacts:
    """The request's facts from a webhook body's `issue` (the whole body is accepted too)."""
    issue = mapping(webhook_issue)
    if "fields" not in issue and isinstance(issue.get("issue"), Mapping):
        issue = issue["issue"]
    fields = mapping(issue.get("fields"))
    ids = config.fields
    missing: list[str] = []
    unreadable: dict[str, str] = {}

    def read(fact: str, field_id: str | None) -> Any:
        if field_id is None:
            return None
        if field_id not in fields:
            missing.append(fact)
            return None
        return fields[field_id]

    def read_text(fact: str, field_id: str | None) -> str | None:
        raw = read(fact, field_id)
        value = field_text(raw)
        if value is None and not _is_empty(raw):
            unreadable[fact] = shape_of(raw)
        return value

    created_raw = read("created", "created")
    request_type_raw = read("request_type", ids.request_type)
    request_type = _request_type(request_type_raw)
    if request_type == (None, None) and not _is_empty(request_type_raw):
        unreadable["request_type"] = shape_of(request_type_raw)
    reporter_raw = read("reporter", "reporter")
    reporter = _reporter(reporter_raw)
    if reporter_raw is not None and (reporter is None or not reporter.identities()):
        unreadable["reporter"] = shape_of(reporter_raw)
    extra = {rule.field: read_text(rule.field, rule.field) for rule in config.out_of_scope.rules if rule.field}
    return RequestFacts(
        issue_key=shorten(issue["key"], FACT_CHARS) if isinstance(issue.get("key"), str) else "",
        issue_id=field_text(issue.get("id")),
        created=parse_jira_datetime(created_raw) if created_raw else None,
        summary=read_text("summary", "summary"),
        description=description_text(read("description", "description")) if config.reads_description else None,
        sen=read_text("sen", ids.sen),
        product=read_text("product", ids.product),
        version=read_text("version", ids.version),
        environment=read_text("environment", ids.environment),
        severity_option=read_text("severity", ids.severity),
        priority=read_text("priority", "priority"),
        impact=read_text("impact", ids.impact),
        urgency=read_text("urgency", ids.urgency),
        request_type_name=request_type[0],
        request_type_id=request_type[1],
        reporter=reporter,
        extra_fields=extra,
        missing=tuple(dict.fromkeys(missing)),
        unreadable=unreadable,
    )
