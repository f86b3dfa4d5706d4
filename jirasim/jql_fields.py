"""What a JQL clause can be about: the site's fields as JQL sees them, operands, operators.

Each field becomes a Subject: the list of its values on an issue (empty means EMPTY) and how
an operand is read (a status name to its id, a date to an instant...). As in Jira, `!=` and
`NOT IN` never match an issue whose field is empty.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from jirasim import catalogue as cat
from jirasim.model import Issue
from jirasim.shapes import parse_jira_time


class JqlError(ValueError):
    """JQL Jira would refuse; the message is the text Jira puts in errorMessages."""


EMPTY = object()  # the EMPTY / NULL operand

EQUALITY = frozenset({"=", "!=", "in", "not in", "is", "is not"})
ORDERING = frozenset({"<", "<=", ">", ">="})
TEXT = frozenset({"~", "!~", "is", "is not"})


@dataclass(frozen=True)
class Subject:
    """A field as a JQL clause sees it: its values on an issue and how operands are read."""

    name: str
    values: Callable[[Issue], list]
    operators: frozenset[str]
    operand: Callable[[str], Any]
    sim_unsupported: frozenset[str] = frozenset()  # operators Jira has but this simulator lacks
    dates: bool = False


def _unknown_value(field: str) -> Callable[[str], Any]:
    def fail(value: str):
        raise JqlError(f"The value '{value}' does not exist for the field '{field}'.")
    return fail


def _lookup(name: str, table: dict[str, Any]) -> Callable[[str], Any]:
    fail = _unknown_value(name)
    return lambda value: table[value.casefold()] if value.casefold() in table else fail(value)


def _datetime_operand(field: str, now: datetime) -> Callable[[str], datetime]:
    def read(value: str) -> datetime:
        moment = parse_date(value, now)
        if moment is None:
            raise JqlError(f"Date value '{value}' for field '{field}' is invalid. Valid formats include: "
                           "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a "
                           "period format e.g. '-5d', '4w 2d'.")
        return moment
    return read


_PERIOD = re.compile(r"^([-+]?)\s*((?:\d+\s*[wdhm]\s*)+)$", re.IGNORECASE)
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


def parse_date(value: str, now: datetime) -> datetime | None:
    """A JQL date operand as an instant, or None when it is not one."""
    period = _PERIOD.match(value.strip())
    if period:
        try:
            total = sum((int(n) * _UNITS[u.lower()]
                         for n, u in re.findall(r"(\d+)\s*([wdhm])", period.group(2), re.IGNORECASE)),
                        timedelta())
            return now - total if period.group(1) == "-" else now + total
        except OverflowError:  # "-99999999999d" is a period, but not a date
            return None
    for layout in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(value.strip(), layout).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _field_datetime(field_id: str) -> Callable[[Issue], list]:
    def values(issue: Issue) -> list:
        raw = issue.fields.get(field_id)
        return [parse_jira_time(raw)] if raw else []
    return values


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _property_values(key: str, path: tuple[str, ...]) -> Callable[[Issue], list]:
    def values(issue: Issue) -> list:
        node = issue.properties.get(key)
        for step in path:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None or node == [] or node == {}:
            return []
        if not path:
            return [node]
        return [_scalar(v) for v in node] if isinstance(node, list) else [_scalar(node)]
    return values


def _reporter(issue: Issue) -> list:
    reporter = issue.fields.get("reporter") or {}
    return [str(reporter[k]).casefold() for k in ("accountId", "name", "emailAddress") if reporter.get(k)]


def subject(name: str, now: datetime, issue_exists: Callable[[str], bool],
            prop: tuple[str, tuple[str, ...]] | None = None) -> Subject:
    """The Subject for a field reference; JqlError for a field the site does not have."""
    if prop is not None:
        key, path = prop
        return Subject(name, _property_values(key, path), EQUALITY | ORDERING, lambda v: v)
    lowered = name.casefold()
    if lowered == "project":
        table = {k.casefold(): cat.PROJECT_KEY for k in (cat.PROJECT_KEY, cat.PROJECT_ID, cat.PROJECT_NAME)}
        return Subject(name, lambda i: [i.fields["project"]["key"]], EQUALITY, _lookup(name, table))
    if lowered in ("key", "issuekey", "id"):
        def issue_ref(value: str) -> str:
            if not issue_exists(value):
                raise JqlError(f"An issue with key '{value}' does not exist for field '{name}'.")
            return value.upper()
        return Subject(name, lambda i: [i.key, i.id], EQUALITY - {"is", "is not"}, issue_ref,
                       sim_unsupported=ORDERING)
    if lowered == "status":
        table = {k.casefold(): s.id for s in cat.STATUSES for k in (s.id, s.name)}
        return Subject(name, lambda i: [i.fields["status"]["id"]], EQUALITY, _lookup(name, table))
    if lowered == "statuscategory":
        table = {str(k).casefold(): c.key for c in cat.STATUS_CATEGORIES for k in (c.id, c.key, c.name)}
        return Subject(name, lambda i: [i.status.category.key], EQUALITY, _lookup(name, table))
    if lowered == "priority":
        table = {k.casefold(): p.id for p in cat.PRIORITIES for k in (p.id, p.name)}
        return Subject(name, lambda i: [i.fields["priority"]["id"]] if i.fields.get("priority") else [],
                       EQUALITY, _lookup(name, table), sim_unsupported=ORDERING)
    if lowered in ("issuetype", "type"):
        table = {k.casefold(): t.id for t in cat.ISSUE_TYPES for k in (t.id, t.name)}
        return Subject(name, lambda i: [i.fields["issuetype"]["id"]], EQUALITY, _lookup(name, table))
    if lowered == "labels":
        return Subject(name, lambda i: list(i.fields.get("labels") or []), EQUALITY, lambda v: v)
    if lowered == "reporter":
        return Subject(name, _reporter, EQUALITY, str.casefold)
    if lowered in ("created", "createddate", "updated", "updateddate"):
        field_id = "created" if lowered.startswith("created") else "updated"
        return Subject(name, _field_datetime(field_id), EQUALITY | ORDERING,
                       _datetime_operand(name, now), dates=True)
    if lowered in ("summary", "description"):
        return Subject(name, lambda i: [i.fields[lowered]] if i.fields.get(lowered) else [], TEXT, lambda v: v)
    return _custom_subject(name, now)


def _custom_subject(name: str, now: datetime) -> Subject:
    match = re.fullmatch(r"cf\[(\d+)\]", name, re.IGNORECASE)
    wanted = f"customfield_{match.group(1)}" if match else None
    field = next((f for f in cat.FIELDS if f.custom and (f.id == wanted or f.name.casefold() == name.casefold())),
                 None)
    if field is None:
        raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
    fid = field.id
    if field.kind == "string":
        return Subject(name, lambda i: [i.fields[fid]] if i.fields.get(fid) else [], TEXT, lambda v: v)
    if field.kind == "datetime":
        return Subject(name, _field_datetime(fid), EQUALITY | ORDERING, _datetime_operand(name, now),
                       dates=True)
    if field.kind == "option":
        table = {k.casefold(): o.id for o in field.options for k in (o.id, o.value)}

        def option(value: str) -> str:
            if value.casefold() not in table:
                raise JqlError(f"The option '{value}' for field '{field.name}' does not exist.")
            return table[value.casefold()]
        return Subject(name, lambda i: [i.fields[fid]["id"]] if i.fields.get(fid) else [], EQUALITY, option)
    raise JqlError(f"Error in the JQL Query: the Jira simulator cannot search the field '{name}'.")


# -- operators -------------------------------------------------------------------------------

def _compare(op: str, left: Any, right: Any) -> bool:
    if not isinstance(left, datetime):
        try:
            left, right = float(left), float(right)
        except (TypeError, ValueError):
            left, right = str(left), str(right)
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def holds(op: str, values: list, operand: Any) -> bool:
    if op in ("is", "is not"):
        return (not values) == (op == "is")
    if op in ("in", "not in"):
        wanted = [o for o in operand if o is not EMPTY]
        hit = any(v in wanted for v in values) or (EMPTY in operand and not values)
        return hit if op == "in" else bool(values) and not hit
    if op == "=":
        return any(v == operand for v in values)
    if op == "!=":
        return bool(values) and all(v != operand for v in values)
    if op in ("~", "!~"):
        found = any(operand.casefold() in str(v).casefold() for v in values)
        return found if op == "~" else bool(values) and not found
    return any(_compare(op, v, operand) for v in values)
