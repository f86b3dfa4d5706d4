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

from worker.config.models import MappingConfig


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


def parse_jira_datetime(text: str) -> datetime:
    """'2026-11-26T10:00:00.000+0000' (Jira's format) or any ISO 8601 instant with an offset."""
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not a Jira timestamp such as 2026-11-26T10:00:00.000+0000") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return parsed


def field_text(value: Any) -> str | None:
    """The text of a field value of any common shape: text, option, named object, or a list of them."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        for key in ("value", "name", "displayName", "key"):
            if isinstance(value.get(key), str):
                return value[key].strip() or None
        return None
    if isinstance(value, list):
        return next((text for text in map(field_text, value) if text), None)
    return None


def _request_type(value: Any) -> tuple[str | None, str | None]:
    """(name, id) of a JSM request type: Cloud {"requestType": {"id", "name"}}, or a bare key/name."""
    if isinstance(value, dict):
        inner = value.get("requestType") if isinstance(value.get("requestType"), dict) else value
        name = inner.get("name") if isinstance(inner.get("name"), str) else field_text(inner)
        ident = inner.get("id")
        return name, (str(ident) if ident is not None else None)
    text = field_text(value)
    return text, text


def _reporter(value: Any) -> Reporter | None:
    if not isinstance(value, dict):
        return None
    def text(key: str) -> str | None:
        return value[key] if isinstance(value.get(key), str) and value[key] else None
    return Reporter(account_id=text("accountId"), username=text("name"), key=text("key"),
                    email=text("emailAddress"), display_name=text("displayName"))


def extract_facts(webhook_issue: Mapping[str, Any], config: MappingConfig) -> RequestFacts:
    """The request's facts from a webhook body's `issue` (the whole body is accepted too)."""
    issue = webhook_issue
    if "fields" not in issue and isinstance(issue.get("issue"), Mapping):
        issue = issue["issue"]
    fields = issue.get("fields") if isinstance(issue.get("fields"), Mapping) else {}
    ids = config.fields
    missing: list[str] = []

    def read(fact: str, field_id: str | None) -> Any:
        if field_id is None:
            return None
        if field_id not in fields:
            missing.append(fact)
            return None
        return fields[field_id]

    created_raw = read("created", "created")
    request_type = _request_type(read("request_type", ids.request_type))
    reporter_raw = read("reporter", "reporter")
    extra = {rule.field: field_text(read(rule.field, rule.field))
             for rule in config.out_of_scope.rules if rule.field}
    return RequestFacts(
        issue_key=str(issue.get("key") or ""),
        issue_id=str(issue["id"]) if issue.get("id") is not None else None,
        created=parse_jira_datetime(created_raw) if created_raw else None,
        summary=field_text(read("summary", "summary")),
        sen=field_text(read("sen", ids.sen)),
        product=field_text(read("product", ids.product)),
        version=field_text(read("version", ids.version)),
        environment=field_text(read("environment", ids.environment)),
        severity_option=field_text(read("severity", ids.severity)),
        priority=field_text(read("priority", "priority")),
        impact=field_text(read("impact", ids.impact)),
        urgency=field_text(read("urgency", ids.urgency)),
        request_type_name=request_type[0],
        request_type_id=request_type[1],
        reporter=_reporter(reporter_raw),
        extra_fields=extra,
        missing=tuple(dict.fromkeys(missing)),
    )
