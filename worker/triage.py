"""Triage of a created request: facts, entitlement, decision, and the writes that put it on the issue.

Calls to Jira: one edit (priority, labels, Priority Support fields), one internal comment, one
write of the `priority-support` property. The issue is read first (with its property) when:
- the webhook body lacks facts;
- Redis has progress for the issue under another decision than the body gives: it was triaged
  differently before, so the body may be a stale replay; the decision is made again from the
  issue as it is now, and the labels to remove are those it carries now, never the delivered
  body's (an agent's later change is not undone);
- Redis holds no record of the issue and the request was created before Redis's memory began
  (`psw:memory-since`, written by the first triage after Redis starts empty, e.g. after a wipe)
  or longer ago than the progress is kept: then only the property can say whether the decision
  is already there. A request created since Redis's memory began and never seen is new: the
  normal path stays at three calls.

A request that cannot be decided (worker/policy/entitlement.py UNDECIDED: a fact unreadable or
unknown) is deferred: nothing is written and the task tries again, reading the issue afresh,
up to `undecided_retries` times; then the decision is written as it stands, which marks the
request for a person (label `ps-needs-review`, a comment naming each fact). Before deciding, a
reporter whose hidden email alone could decide the admin rule is looked up (`get_user`).

An agent's priority change is an explicit level override (`agent_priority`): the level the new
priority stands for replaces the one the fields ask for, and it stands while the priority stays.
The override is state, not the event's: the property records it (`level_override`, the agent's
priority even where the decision leaves the priority alone), and the progress names it from the
first write on (until the property is written), so a task for another event (a retry of the
created webhook recovered from a dead worker) decides the same and neither reposts its own older
comment nor writes its older property over the override (PS-143 in the chaos run).

A field Jira rejects is remembered for the config version (`psw:rejected-fields:<version>`) and
left out of later edits until the config changes.

Each write is recorded in Redis as done (per issue and decision) before the next starts, so a
retried task resumes where the last attempt stopped: the comment is never posted twice. When the
comment was sent but its answer was lost, the retry looks for the decision id in the comments
before posting again.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from worker import decision_change, open_requests
from worker.bodies import mapping, sequence, shorten, text
from worker.deliveries import MEMORY_SINCE_KEY
from worker.instants import parse_instant
from worker.config.models import MappingConfig
from worker.entitlement.sources import EntitlementSource
from worker.jira.errors import JiraError, JiraRejected
from worker.jira.gateway import COMMENT_CHARS, JiraGateway
from worker.metrics import REJECTED_FIELDS
from worker.policy.decision import PROPERTY, UNDECIDED, Decision, decide
from worker.policy.entitlement import email_would_decide, normalise_sen
from worker.policy.facts import FACT_CHARS, RequestFacts, extract_facts
from worker.policy.severity import LevelOverride, override_for
from worker.recent_decisions import DecisionInputs
from worker.reminders.plan import RecordedDecision
from worker.routing.writes import changed_fields, holder_fields

log = logging.getLogger(__name__)

PROGRESS_TTL = timedelta(days=30)
STEPS = ("edited", "commented", "property")
OVERRIDE_FIELD = "override"  # in the progress hash: the agent's priority the latest decision stands on


def decision_id(decision: Decision) -> str:
    """Identifies the decision's content: the same request, record and config give the same id."""
    return hashlib.sha256(decision.to_json().encode()).hexdigest()[:16]


DECISION_MARKER_PREFIX = "(psw-triage: decision "
REJECTED_FIELDS_TTL = timedelta(days=30)


def decision_marker(did: str) -> str:
    """Ends the triage comment: how a retry whose answer was lost finds the comment it posted, and
    how the intake knows the comment's webhook (Data Center's carries no internal flag) as ours."""
    return f"{DECISION_MARKER_PREFIX}{did})"


@dataclass
class Writes:
    """What the decision changes on the issue, given what the issue holds now."""

    fields: dict[str, Any]
    update: dict[str, list]
    comment: str
    property: dict[str, Any]

    def as_audit(self) -> dict[str, Any]:
        return {"edit": {"fields": self.fields, "update": self.update},
                "comment": self.comment, "property": self.property}


@dataclass
class TriageResult:
    issue_key: str
    status: str  # "written", "unchanged", "shadow", "deferred" (undecided: try again later)
    decision: Decision
    decision_id: str
    calls: list[tuple[str, str]] = field(default_factory=list)
    rejected_fields: dict[str, str] = field(default_factory=dict)
    property: dict[str, Any] | None = None
    writes: Writes | None = None
    deferral: int = 0  # which deferral of an undecided request this is (1 = the first)
    inputs: DecisionInputs | None = None  # what it was decided from (worker/recent_decisions.py)
    changes: list[str] | None = None  # a requested re-triage: what changed (worker/decision_change.py)


class Progress:
    """Which writes of which decision are done on an issue (Redis hash, rebuilt from Jira if lost)."""

    def __init__(self, client, issue_key: str):
        self.redis = client
        self.key = f"psw:triage:{issue_key}"
        self.state = {k.decode(): v.decode() for k, v in client.hgetall(self.key).items()}
        self.override = self.state.pop(OVERRIDE_FIELD, None)

    def known(self) -> bool:
        return bool(self.state)

    def other_than(self, did: str) -> bool:
        """Some write of another decision is recorded: the issue was triaged differently before."""
        return any(value != did for value in self.state.values())

    def unfinished(self) -> bool:
        """Some write of a decision is done but its property (the last write) is not."""
        decisions = {did for step, did in self.state.items() if step != "property"}
        return any(did != self.state.get("property") for did in decisions)

    def done(self, did: str, step: str) -> bool:
        return self.state.get(step) == did

    def complete(self, did: str) -> bool:
        return all(self.done(did, step) for step in STEPS)

    def note_override(self, priority: str | None) -> None:
        """Record, before the first write, the agent's priority the decision being written stands
        on (or that it stands on none): until its property is written, the change event that asked
        for it is the only other place that knows, and a task for another event must decide alike."""
        if priority == self.override:
            return
        self.override = priority
        if priority is None:
            self.redis.hdel(self.key, OVERRIDE_FIELD)
            return
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(self.key, OVERRIDE_FIELD, priority)
        pipe.expire(self.key, int(PROGRESS_TTL.total_seconds()))
        pipe.execute()

    def mark(self, did: str, *steps: str) -> None:
        for step in steps:
            self.state[step] = did
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(self.key, mapping={step: did for step in steps})
        pipe.expire(self.key, int(PROGRESS_TTL.total_seconds()))
        pipe.execute()


def fields_to_read(config: MappingConfig) -> list[str]:
    ids = config.fields
    wanted = ["summary", *(["description"] if config.reads_description else []), "created", "reporter", "priority", "labels", "status",
              *(f for f in (ids.sen, ids.severity, ids.product, ids.version, ids.environment,
                            ids.request_type, ids.impact, ids.urgency) if f),
              *(f for f in (config.write_fields.level, config.write_fields.due,
                            config.write_fields.entitlement) if f),
              *(rule.field for rule in config.out_of_scope.rules if rule.field),
              *([config.routing.team_field.id, "assignee"] if config.routing else [])]
    return list(dict.fromkeys(wanted))


def plan_writes(decision: Decision, did: str, issue_fields: dict[str, Any], delivery_id: str,
                now: datetime, preface: str = "") -> Writes:
    labels_now = {label for label in sequence(issue_fields.get("labels")) if isinstance(label, str)}
    add = [label for label in decision.labels_add if label not in labels_now]
    remove = [label for label in decision.labels_remove if label in labels_now]
    update = {"labels": [{"add": label} for label in add] + [{"remove": label} for label in remove]}
    fields: dict[str, Any] = {}
    for field_id, value in decision.fields.items():
        current = issue_fields.get(field_id)
        if value is None and not current:
            continue  # nothing to clear
        if value != current:
            fields[field_id] = value
    current_priority = mapping(issue_fields.get("priority")).get("name")
    if decision.jira_priority and decision.jira_priority != current_priority:
        fields["priority"] = {"name": decision.jira_priority}
    marker = "\n" + decision_marker(did)  # kept whole: a retry looks for it before posting again
    comment = shorten(preface + decision.comment, COMMENT_CHARS - len(marker)) + marker
    return Writes(fields=fields, update=update if update["labels"] else {}, comment=comment,
                  property=decision.as_property(did, delivery_id, now))


def route_fields(decision: Decision, recorded: dict[str, Any] | None, issue_fields: dict[str, Any],
                 config: MappingConfig, deployment: str) -> dict[str, Any]:
    """The team field and assignee of the decision's holder, in the triage's one edit. Not when the
    recorded decision already routed the request the same way: its handoffs have moved it since."""
    if not decision.entitled or not decision.route or config.routing is None:
        return {}
    if RecordedDecision.parse(recorded).route == decision.route:
        return {}
    wanted = holder_fields(decision.route, config.routing, deployment)
    return changed_fields(wanted, issue_fields, config.routing)


def lookup_entitlement(source: EntitlementSource, facts: RequestFacts):
    if not facts.sen or normalise_sen(facts.sen) is None:
        return None  # the decision reports SEN_MISSING or SEN_UNKNOWN
    return source.lookup(facts.sen)


def memory_since(client, now: datetime) -> datetime:
    """When this Redis began to remember deliveries and triages: set by the first delivery the
    intake records (worker/deliveries.py), or the first triage that finds it unset."""
    pipe = client.pipeline(transaction=False)
    pipe.set(MEMORY_SINCE_KEY, now.isoformat(), nx=True)
    pipe.get(MEMORY_SINCE_KEY)
    return parse_instant(pipe.execute()[1].decode(), MEMORY_SINCE_KEY)


def needs_read(facts: RequestFacts, issue_fields: dict[str, Any], progress: Progress, now: datetime,
               since: datetime) -> bool:
    if facts.missing or "labels" not in issue_fields:
        return True
    if progress.known():
        return False  # Redis knows the issue; triage() re-reads it if the body decides differently
    return facts.created is None or facts.created <= since or now - facts.created >= PROGRESS_TTL


class RejectedFields:
    """Fields Jira rejected under one config version: left out until the config changes."""

    def __init__(self, client, config_version: str):
        self.redis = client
        self.key = f"psw:rejected-fields:{config_version}"

    def known(self) -> set[str]:
        return {member.decode() for member in self.redis.smembers(self.key)}

    def remember(self, field_ids) -> None:
        if field_ids:
            pipe = self.redis.pipeline(transaction=False)
            pipe.sadd(self.key, *field_ids)
            pipe.expire(self.key, REJECTED_FIELDS_TTL)
            pipe.execute()


def without_fields(writes: Writes, field_ids: set[str]) -> Writes:
    if not field_ids:
        return writes
    return Writes(fields={k: v for k, v in writes.fields.items() if k not in field_ids},
                  update={k: v for k, v in writes.update.items() if k not in field_ids},
                  comment=writes.comment, property=writes.property)


class Deferrals:
    """How often each undecided decision of an issue was deferred (Redis hash decision id -> count)."""

    TTL = timedelta(days=2)

    def __init__(self, client, issue_key: str):
        self.redis = client
        self.key = f"psw:triage:undecided:{issue_key}"

    def any(self) -> bool:
        return bool(self.redis.exists(self.key))

    def add(self, did: str) -> int:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(self.key, did, 1)
        pipe.expire(self.key, int(self.TTL.total_seconds()))
        return int(pipe.execute()[0])

    def count(self, did: str) -> int:
        return int(self.redis.hget(self.key, did) or 0)


def with_reporter_email(facts: RequestFacts, record, gateway: JiraGateway) -> RequestFacts:
    """Where only the reporter's email can decide the admin rule and the body hides it, ask the
    site (Cloud shows it when the user's profile visibility allows); a 404 or a refusal leaves
    it hidden, and the rule undecided."""
    reporter = facts.reporter
    if not email_would_decide(reporter, record):
        return facts
    cloud = gateway.deployment == "cloud"
    ident = reporter.account_id if cloud else reporter.username
    if not ident:
        return facts
    try:
        user = gateway.get_user(**({"account_id": ident} if cloud else {"username": ident}))
    except JiraRejected as exc:
        if exc.status not in (401, 403):
            raise
        log.info("triage %s: the automation account may not look up %s (%s)", facts.issue_key, ident, exc.status)
        return facts
    email = text(mapping(user).get("emailAddress"))
    if not email or not email.strip():
        return facts
    return replace(facts, reporter=replace(reporter, email=shorten(email.strip(), FACT_CHARS)))


def level_override(facts: RequestFacts, recorded: dict[str, Any] | None, config: MappingConfig,
                   agent_priority: bool, in_progress: str | None = None) -> LevelOverride | None:
    """The level an agent chose with the priority: newly (`agent_priority`, the change event said
    an agent changed it, and it is not the priority the recorded decision set), or earlier (the
    recorded decision was an override and the priority is still the one it kept; or an override
    whose writes began, `in_progress` from the progress, and the priority is still its own). So
    the decision follows the issue's state, never which event asked for the triage."""
    recorded = RecordedDecision.parse(recorded)
    if agent_priority and facts.priority and facts.priority != recorded.jira_priority:
        return override_for(facts.priority, config)
    if recorded.severity_source == "override" and facts.priority == kept_priority(recorded):
        return override_for(facts.priority, config)
    if in_progress and facts.priority == in_progress:
        return override_for(facts.priority, config)
    return None


def kept_priority(recorded: RecordedDecision) -> str | None:
    """The agent's priority a recorded override stands on: the property's `level_override` (a not
    entitled decision leaves the priority alone, so its `jira_priority` is None), else, for a
    property written before it was recorded, the priority the decision kept."""
    return recorded.override_priority or recorded.jira_priority


def _decide(facts: RequestFacts, recorded, *, config: MappingConfig, source: EntitlementSource,
            gateway: JiraGateway, now: datetime, agent_priority: bool,
            in_progress: str | None) -> tuple[Decision, DecisionInputs]:
    record = lookup_entitlement(source, facts)
    facts = with_reporter_email(facts, record, gateway)
    override = level_override(facts, recorded, config, agent_priority, in_progress)
    return decide(facts, record, config, now, override), DecisionInputs(facts, record, override, now)


def redecide(*, issue_key: str, config: MappingConfig, source: EntitlementSource, gateway: JiraGateway,
             redis_client, now: datetime) -> tuple[Decision, dict[str, Any] | None]:
    """What a triage of the issue as it is now would decide, and the decision it holds (its
    property, None when never triaged): reads only, for a re-triage's dry run."""
    _, facts, recorded = _read_issue(gateway, issue_key, config)
    decision, _ = _decide(facts, recorded, config=config, source=source, gateway=gateway, now=now,
                          agent_priority=False, in_progress=Progress(redis_client, issue_key).override)
    return decision, recorded or None


def triage(*, issue: dict[str, Any], delivery_id: str, config: MappingConfig, source: EntitlementSource,
           gateway: JiraGateway, redis_client, now: datetime, shadow: bool = False,
           read_first: bool = False, agent_priority: bool = False, undecided_retries: int = 0,
           requested_by: str | None = None) -> TriageResult:
    """Decide and write. Jira errors propagate (the task retries); progress survives them.

    `requested_by`: a re-triage someone asked for (worker/retriage.py; read_first): the comment
    begins with who asked and what changed against the recorded decision, and is left out when
    nothing an agent acts on changed (a new config version alone)."""
    issue_key = issue["key"]
    progress = Progress(redis_client, issue_key)
    deferrals = Deferrals(redis_client, issue_key)
    issue_fields = mapping(issue.get("fields"))
    facts = extract_facts(issue, config)
    recorded = None
    read = (read_first or agent_priority or deferrals.any()
            or needs_read(facts, issue_fields, progress, now, memory_since(redis_client, now)))
    if read:
        issue_fields, facts, recorded = _read_issue(gateway, issue_key, config)
    decide_now = lambda: _decide(facts, recorded, config=config, source=source, gateway=gateway,  # noqa: E731
                                 now=now, agent_priority=agent_priority, in_progress=progress.override)
    decision, inputs = decide_now()
    did = decision_id(decision)
    if not read and progress.other_than(did):
        # Triaged before with another decision: the body may be a stale replay (or an agent changed
        # the request since). Decide from the issue as it is now, never undo the newer state.
        issue_fields, facts, recorded = _read_issue(gateway, issue_key, config)
        decision, inputs = decide_now()
        did = decision_id(decision)
    changes = None
    if requested_by is not None:
        changes = decision_change.changes(decision_change.summary(recorded), decision_change.summary(decision.to_dict()))
    preface = decision_change.preface(requested_by, changes) if changes else ""
    writes = plan_writes(decision, did, issue_fields, delivery_id, now, preface)
    if changes == []:
        writes.comment = ""  # nothing an agent acts on changed: no comment (shadow mode shows none either)
    writes.fields.update(route_fields(decision, recorded, issue_fields, config, gateway.deployment))
    result = TriageResult(issue_key, "unchanged", decision, did, property=writes.property, inputs=inputs,
                          changes=changes)

    recorded_id = RecordedDecision.parse(recorded).decision_id
    if decision.outcome == UNDECIDED and recorded_id != did \
            and not progress.complete(did) and deferrals.count(did) < undecided_retries:
        # Cannot decide yet: write nothing and try again, since the fact may resolve itself.
        result.status = "deferred"
        result.deferral = deferrals.add(did)
        return result
    if shadow:
        result.status = "shadow"
        result.writes = writes
        return result
    if recorded_id == did:
        progress.mark(did, *STEPS)  # Jira has it; Redis had lost the record
        result.property = recorded
        return result
    if progress.complete(did):
        return result

    # Each mark goes out with the next write's preparation, so a crash repeats at most the last
    # write: the edit (harmless), or the comment, which is then looked for before it is posted.
    progress.note_override(decision.override_priority)
    done: list[str] = []
    if not progress.done(did, "edited"):
        rejected = RejectedFields(redis_client, config.version)
        edit = without_fields(writes, rejected.known())
        if edit.fields or edit.update:
            result.rejected_fields = edit_dropping_rejected_fields(gateway, issue_key, edit)
            rejected.remember(result.rejected_fields)
        done.append("edited")
    if not progress.done(did, "commented"):
        if progress.done(did, "comment_sent") and _comment_exists(gateway, issue_key, did):
            log.info("triage %s: comment for decision %s already posted", issue_key, did)
        elif changes == []:
            log.info("triage %s: re-triage changes nothing an agent acts on; no comment", issue_key)
        else:
            progress.mark(did, *done, "comment_sent")
            done = []
            gateway.add_internal_comment(issue_key, writes.comment)
        done.append("commented")
    gateway.set_property(issue_key, PROPERTY, writes.property)
    progress.mark(did, *done, "property")
    open_requests.record(redis_client, issue_key, writes.property, issue_fields)  # the console's board
    result.status = "written"
    result.writes = writes
    return result


def _read_issue(gateway: JiraGateway, issue_key: str, config: MappingConfig):
    """The issue as it is now: its fields, facts and recorded decision (the property)."""
    issue = gateway.get_issue(issue_key, fields=fields_to_read(config), properties=[PROPERTY])
    recorded = mapping(mapping(issue.get("properties")).get(PROPERTY))
    return mapping(issue.get("fields")), extract_facts(issue, config), recorded


def _comment_exists(gateway: JiraGateway, issue_key: str, did: str) -> bool:
    marker = decision_marker(did)
    return any(marker in (text(c.get("body")) or "") for c in gateway.get_comments(issue_key))


def edit_dropping_rejected_fields(gateway: JiraGateway, issue_key: str, writes: Writes) -> dict[str, str]:
    """One edit; if Jira rejects named fields (not on the edit screen, unknown), write the rest once
    more without them and report them, rather than retrying a request that cannot succeed."""
    try:
        gateway.edit_issue(issue_key, fields=writes.fields or None, update=writes.update or None)
        return {}
    except JiraRejected as exc:
        named = {k: v for k, v in exc.field_errors.items() if k in writes.fields or k in writes.update}
        if exc.status != 400 or not named:
            raise
    for field_id in named:
        REJECTED_FIELDS.labels(field=field_id).inc()
        log.warning("triage %s: Jira rejected field %s: %s", issue_key, field_id, named[field_id])
    rest = without_fields(writes, set(named))
    if rest.fields or rest.update:
        gateway.edit_issue(issue_key, fields=rest.fields or None, update=rest.update or None)
    return named


def audit_entry(result: TriageResult | None, *, delivery_id: str, config_version: str,
                calls: list[tuple[str, str]], error: JiraError | Exception | None = None,
                shadow: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {"delivery": delivery_id, "config_version": config_version,
                             "calls": [f"{op}:{outcome}" for op, outcome in calls], "shadow": shadow}
    if result is not None:
        d = result.decision
        entry.update(outcome=result.status, decision_id=result.decision_id, decision=d.outcome,
                     entitled=d.entitled, level=d.level, reasons=[r.code.value for r in d.reasons],
                     due=d.due.isoformat() if d.due else None)
        if d.undecided:
            entry["undecided"] = [{"code": r.code.value, "detail": r.detail} for r in d.undecided]
        if d.severity.source == "override":
            entry["level_override"] = d.severity.detail
        if result.deferral:
            entry["deferral"] = result.deferral
        if result.writes is not None:
            entry["writes" if result.status == "written" else "would_write"] = result.writes.as_audit()
        if result.rejected_fields:
            entry["rejected_fields"] = result.rejected_fields
        if result.changes is not None:
            entry["changes"] = result.changes
    if error is not None:
        entry.update(outcome="error", error=f"{type(error).__name__}: {error}")
    return entry
