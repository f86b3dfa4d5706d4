"""Field values as a client sends them -> as Jira stores and returns them, with Jira's checks.

An edit (PUT /issue/{key}) names fields in `fields` (set) and `update` (operations); every
field it names must be on the edit screen, and each value must fit the field's type. Jira
reports all field errors of one request together, keyed by field id; so does this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from jirasim import catalogue as cat
from jirasim.shapes import Site, User, adf_text, parse_jira_time

NOT_ON_SCREEN = "Field '{0}' cannot be set. It is not on the appropriate screen, or unknown."
MAX_STRING = 255


class FieldError(ValueError):
    """One field's value is unacceptable; the message is what Jira would put under its id."""


class FieldErrors(Exception):
    """A request Jira answers with 400 {"errorMessages": [...], "errors": {field: message}}."""

    def __init__(self, errors: dict[str, str], messages: list[str] | None = None):
        super().__init__("; ".join([*(messages or []), *(f"{k}: {v}" for k, v in errors.items())]))
        self.errors = dict(errors)
        self.messages = list(messages or [])


@dataclass(frozen=True)
class Change:
    field: cat.FieldDef
    before: Any
    after: Any


@dataclass(frozen=True)
class ValueContext:
    site: Site
    api_version: int
    find_user: Callable[[str], User | None]


def convert(field: cat.FieldDef, raw: Any, ctx: ValueContext) -> Any:
    """The stored form of `raw` for `field`; FieldError when Jira would refuse it."""
    kind = field.kind
    if kind in ("string", "text"):
        return _text(field, raw, ctx)
    if kind == "option":
        return _option(field, raw, ctx)
    if kind == "datetime":
        if raw is None:
            return None
        try:
            parse_jira_time(raw if isinstance(raw, str) else "")
        except ValueError:
            raise FieldError(f"Invalid date-time value {raw!r} for '{field.name}': use "
                             "yyyy-MM-dd'T'HH:mm:ss.SSSZ, e.g. 2026-11-26T10:00:00.000+0000") from None
        return raw
    if kind == "labels":
        return _labels(raw)
    if kind == "priority":
        return _priority(raw, ctx)
    if kind == "user":
        return _user(field, raw, ctx)
    raise FieldError(NOT_ON_SCREEN.format(field.id))


def _text(field: cat.FieldDef, raw: Any, ctx: ValueContext) -> str | None:
    if field.kind == "text" and ctx.api_version == 3 and isinstance(raw, dict):
        try:
            raw = adf_text(raw)
        except ValueError as exc:
            raise FieldError(f"Invalid Atlassian Document Format for '{field.name}': {exc}") from None
    if raw is None or raw == "":
        if field.id == "summary":
            raise FieldError("You must specify a summary of the issue.")
        return None
    if not isinstance(raw, str):
        if field.kind == "text" and ctx.api_version == 3:
            raise FieldError("Operation value must be an Atlassian Document")
        raise FieldError("Operation value must be a string")
    if field.kind == "string" and len(raw) > MAX_STRING:
        raise FieldError(f"{field.name} must be less than {MAX_STRING} characters.")
    return raw


def _option(field: cat.FieldDef, raw: Any, ctx: ValueContext) -> dict | None:
    if raw is None:
        return None
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        option = field.option_by_id(raw["id"])
        if option is None:
            raise FieldError(f"Option id '{raw['id']}' is not valid")
    elif isinstance(raw, dict) and isinstance(raw.get("value"), str):
        option = field.option_by_value(raw["value"])
        if option is None:
            raise FieldError(f"Option value '{raw['value']}' is not valid")
    else:
        raise FieldError(f"Specify a valid 'id' or 'value' for {field.name}")
    return ctx.site.option(option)


def _labels(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(label, str) for label in raw):
        raise FieldError("Labels must be a list of strings")
    return [_label(label) for label in dict.fromkeys(raw)]


def _label(label: Any) -> str:
    if not isinstance(label, str) or not label:
        raise FieldError("A label must be a non-empty string")
    if any(c.isspace() for c in label):
        raise FieldError(f"The label '{label}' contains spaces which is invalid.")
    if len(label) > MAX_STRING:
        raise FieldError(f"The label '{label[:20]}...' exceeds {MAX_STRING} characters.")
    return label


def _priority(raw: Any, ctx: ValueContext) -> dict:
    if not isinstance(raw, dict) or not (isinstance(raw.get("name"), str) or isinstance(raw.get("id"), str)):
        raise FieldError("Specify the Priority (id or name) in the string format")
    priority = cat.find_priority(name=raw.get("name"), priority_id=raw.get("id"))
    if priority is None:
        raise FieldError("The priority selected is invalid.")
    return ctx.site.priority(priority)


def _user(field: cat.FieldDef, raw: Any, ctx: ValueContext) -> dict | None:
    if raw is None and field.id == "assignee":
        return None  # unassigned
    attr = "accountId" if ctx.site.is_cloud else "name"
    if not isinstance(raw, dict) or not isinstance(raw.get(attr), str):
        raise FieldError(f"Specify the user by '{attr}'")
    user = ctx.find_user(raw[attr])
    if user is None:
        raise FieldError(f"User '{raw[attr]}' does not exist.")
    return ctx.site.user(user)


def apply_edit(fields: dict, body: Any, ctx: ValueContext,
               hidden: frozenset[str] = frozenset()) -> list[Change]:
    """Apply an edit body to `fields` (in place) and return what changed.

    `hidden` holds field ids taken off the edit screen. Nothing is changed when the body has
    any error: all errors are collected first and raised together as FieldErrors.
    """
    if not isinstance(body, dict):
        raise FieldErrors({}, ["The request body must be a JSON object."])
    set_values = body.get("fields") or {}
    operations = body.get("update") or {}
    if not isinstance(set_values, dict) or not isinstance(operations, dict):
        raise FieldErrors({}, ["'fields' and 'update' must be JSON objects."])
    errors: dict[str, str] = {}
    staged: dict[str, Any] = {}
    for field_id in [*set_values, *operations]:
        field = cat.FIELDS_BY_ID.get(field_id)
        if field is None or not field.editable or field_id in hidden:
            errors[field_id] = NOT_ON_SCREEN.format(field_id)
    for field_id in set(set_values) & set(operations):
        errors.setdefault(field_id, f"Field '{field_id}' cannot be set in both 'fields' and 'update'.")
    for field_id, raw in set_values.items():
        if field_id in errors:
            continue
        try:
            staged[field_id] = convert(cat.FIELDS_BY_ID[field_id], raw, ctx)
        except FieldError as exc:
            errors[field_id] = str(exc)
    for field_id, ops in operations.items():
        if field_id in errors:
            continue
        try:
            staged[field_id] = _operate(cat.FIELDS_BY_ID[field_id], fields.get(field_id), ops, ctx)
        except FieldError as exc:
            errors[field_id] = str(exc)
    if errors:
        raise FieldErrors(errors)
    changes = [Change(cat.FIELDS_BY_ID[fid], fields.get(fid), value)
               for fid, value in staged.items() if fields.get(fid) != value]
    for change in changes:
        fields[change.field.id] = change.after
    return changes


def _operate(field: cat.FieldDef, current: Any, ops: Any, ctx: ValueContext) -> Any:
    if not isinstance(ops, list) or not all(isinstance(op, dict) and len(op) == 1 for op in ops):
        raise FieldError("Update operations must be a list of single-key objects, e.g. [{\"add\": \"x\"}]")
    value = current
    for op in ops:
        (verb, operand), = op.items()
        if field.kind == "labels" and verb in ("add", "remove"):
            label = _label(operand)
            labels = list(value or [])
            if verb == "add" and label not in labels:
                labels.append(label)
            elif verb == "remove" and label in labels:
                labels.remove(label)
            value = labels
        elif verb == "set":
            value = convert(field, operand, ctx)
        else:
            raise FieldError(f"Field '{field.id}' does not support the operation '{verb}'")
    return value
