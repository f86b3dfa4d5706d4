"""Which webhook events matter to the reminders, decided from the body alone (no Jira calls).

- `comment_created`, public, not ours (a reminder's or the triage's own comment, known by its
  marker) and not by a Cloud customer or app account (`accountType`): maybe the first response
  -> check the request, which tells an agent from a customer where the body cannot.
  Data Center comment bodies carry no `issue` and no visibility flag: the issue id comes from
  `comment.self` (".../rest/api/2/issue/10013/comment/10082"), and the check reads the rest.
- `jira:issue_updated` with a changelog item for
  - the status, now resolved (category done) or a "responded" status -> check the request;
  - a fact the triage decides from (SEN, severity, impact, urgency, environment, product,
    version, request type) -> triage again: the new decision recomputes the due time and
    replaces the reminders (schedule_for_decision);
  - the priority, set by an agent -> triage again with the new priority as an explicit level
    override (worker/triage.py level_override): level, labels, due time and reminders follow.
  Everything else is ignored: labels and our own fields (the triage's and the reminders' own
  edits), and a priority change that only brings the priority in line with the recorded level
  (the triage setting it).
A Cloud changelog item names its field by id (`fieldId`); a Data Center one by id for system
fields but by *name* for custom fields, which `FieldIds` maps to ids (read once a day from Jira).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis

from worker.bodies import mapping, sequence, shorten, text
from worker.reminders.actions import MARKER_PREFIX
from worker.reminders.handoffs import MARKER_PREFIX as HANDOFF_MARKER_PREFIX
from worker.reminders.response import status_of
from worker.triage import DECISION_MARKER_PREFIX

_COMMENT_SELF = re.compile(r"/issue/([^/]+)/comment/[^/]+/?$")
FACTS = ("sen", "severity", "impact", "urgency", "environment", "product", "version", "request_type")


@dataclass(frozen=True)
class ChangeRules:
    facts: Mapping[str, str]  # field id -> the fact it holds ("sen", "severity", ...)
    level_field: str | None  # where the triage writes the level
    jira_priority: Mapping[str, str]  # level -> the Jira priority the triage sets for it
    responded_statuses: tuple[str, ...]

    @classmethod
    def from_config(cls, config, responded_statuses: tuple[str, ...]) -> ChangeRules:
        facts = {}
        for fact in FACTS:
            field_id = getattr(config.fields, fact)
            if field_id:
                facts[field_id] = fact
        return cls(facts=facts, level_field=config.write_fields.level,
                   jira_priority={name: level.jira_priority for name, level in config.levels.items()},
                   responded_statuses=responded_statuses)


@dataclass(frozen=True)
class Change:
    issue: str | None  # the issue key, or its id (Data Center comments)
    check: str | None = None  # why the request may have been answered
    retriage: str | None = None  # why the decision may change
    ignored: str | None = None  # why nothing is to be done
    agent_priority: bool = False  # an agent set the priority: an explicit level override
    resolved: bool = False  # the body shows the request resolved (it leaves the console's board)

    @property
    def relevant(self) -> bool:
        return bool(self.check or self.retriage)


FieldIdOf = Callable[[Mapping[str, Any]], "str | None"]


def classify(body: Mapping[str, Any], rules: ChangeRules, field_id_of: FieldIdOf) -> Change:
    event = body.get("webhookEvent")
    if event == "comment_created":
        return _comment(body)
    if event == "jira:issue_updated":
        return _update(body, rules, field_id_of)
    return Change(issue=None, ignored=f"event {event!r} does not concern reminders")


def _comment(body: Mapping[str, Any]) -> Change:
    comment = body.get("comment")
    if not isinstance(comment, Mapping):
        return Change(issue=None, ignored="comment_created without a comment")
    issue = text(mapping(body.get("issue")).get("key"))
    if not issue:
        found = _COMMENT_SELF.search(text(comment.get("self")) or "")
        issue = found.group(1) if found else None
    if not issue:
        return Change(issue=None, ignored="comment_created naming no issue")
    if comment.get("jsdPublic") is False:
        return Change(issue=issue, ignored="internal comment")
    if MARKER_PREFIX in str(comment.get("body") or ""):
        return Change(issue=issue, ignored="a reminder's own comment")
    if HANDOFF_MARKER_PREFIX in str(comment.get("body") or ""):
        return Change(issue=issue, ignored="a warm handoff's own comment")
    account_type = mapping(comment.get("author")).get("accountType")
    if account_type in ("customer", "app"):
        # Cloud names the kind of account: only an agent's comment is a first response.
        return Change(issue=issue, ignored=f"a comment by {'a customer' if account_type == 'customer' else 'an app'}")
    if DECISION_MARKER_PREFIX in str(comment.get("body") or ""):
        # Data Center's comment webhook has no internal flag: the triage's comment is known by its marker.
        return Change(issue=issue, ignored="the triage's own comment")
    return Change(issue=issue, check=f"comment {shorten(str(comment.get('id', '?')))}")


def _update(body: Mapping[str, Any], rules: ChangeRules, field_id_of: FieldIdOf) -> Change:
    issue = mapping(body.get("issue"))
    key = text(issue.get("key"))
    if not key:
        return Change(issue=None, ignored="jira:issue_updated without an issue key")
    items = sequence(mapping(body.get("changelog")).get("items"))
    fields = mapping(issue.get("fields"))
    check, retriage, resolved, agent_priority = None, None, False, False
    for item in items:
        if not isinstance(item, Mapping):
            continue
        field_id = field_id_of(item)
        if field_id == "status":
            name, category = status_of(fields)
            name = name or text(item.get("toString")) or ""
            resolved = category == "done"
            if resolved or name.casefold() in {s.casefold() for s in rules.responded_statuses}:
                check = f"status changed to {name}"
        elif field_id in rules.facts:
            retriage = retriage or f"{rules.facts[field_id]} changed"
        elif field_id == "priority":
            level = fields.get(rules.level_field) if rules.level_field else None
            new = item.get("toString")
            if not (isinstance(level, str) and rules.jira_priority.get(level) == new):
                retriage = retriage or f"priority changed to {shorten(str(new))}"
                agent_priority = True
    if check or retriage:
        return Change(issue=key, check=check, retriage=retriage, resolved=resolved, agent_priority=agent_priority)
    return Change(issue=key, ignored="no change the reminders depend on")


class FieldIds:
    """Changelog item -> field id. Data Center names custom fields by name: the names are read
    from Jira once and kept in Redis for a day (one call per day, not per event)."""

    KEY = "psw:reminders:field-ids"
    TTL = timedelta(days=1)

    def __init__(self, client: redis.Redis, gateway_factory: Callable[[], Any]):
        self.redis = client
        self.gateway_factory = gateway_factory
        self._names: dict[str, str] | None = None

    def __call__(self, item: Mapping[str, Any]) -> str | None:
        named = body_field_id(item)
        if named is not None or not item.get("field"):
            return named
        return self._by_name().get(str(item["field"]).casefold())

    def _by_name(self) -> dict[str, str]:
        if self._names is None:
            stored = self.redis.hgetall(self.KEY)
            if stored:
                self._names = {k.decode(): v.decode() for k, v in stored.items()}
            else:
                self._names = {}
                for field in self.gateway_factory().get_fields():
                    if field.get("custom") and field.get("name") and field.get("id"):
                        # A name shared by two custom fields maps to the first one Jira lists.
                        self._names.setdefault(str(field["name"]).casefold(), str(field["id"]))
                if self._names:
                    pipe = self.redis.pipeline(transaction=True)
                    pipe.hset(self.KEY, mapping=self._names)
                    pipe.expire(self.KEY, self.TTL)
                    pipe.execute()
        return self._names


def body_field_id(item: Mapping[str, Any]) -> str | None:
    """The field id a changelog item names by itself (Cloud always; Data Center for system fields)."""
    if item.get("fieldId"):
        return str(item["fieldId"])
    return None if item.get("fieldtype") == "custom" else (str(item["field"]) if item.get("field") else None)


def needs_no_task(body: Mapping[str, Any], rules: ChangeRules) -> str | None:
    """Why this event needs no task, when the body alone can tell; None when it may need one.

    The web process asks this before queueing, so that the events each triage causes itself (its
    internal comment, its own edit) stay off the queue. A Data Center custom field named only by
    its name cannot be judged without Jira, so such an event is always queued.
    """
    items = sequence(mapping(body.get("changelog")).get("items"))
    if any(isinstance(item, Mapping) and body_field_id(item) is None for item in items):
        return None
    change = classify(body, rules, body_field_id)
    return None if change.relevant else change.ignored
