"""The triage decision: facts + entitlement record + config + now -> what to write. Pure.

The Decision holds everything the task writes (priority, labels, fields, one comment) and the
reminder instants it schedules, plus the config version, so any triage can be explained later.
`to_json()` leaves out everything that depends on the decision instant (`decided_at`,
`pending_reminders`): the same request, record and config give the same bytes however late the
triage runs, which is what the task compares with the issue property to skip writes.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from worker.config.models import MappingConfig
from worker.policy.entitlement import (
    Entitlement,
    Reason,
    ReasonCode,
    UNDECIDED as UNDECIDED_CODES,
    check_entitlement,
    customer_zone,
    normalise_sen,
    unreadable,
)
from worker.policy.facts import RequestFacts
from worker.policy.severity import (
    AppliedLevel,
    LevelOverride,
    Severity,
    apply_environment_cap,
    assess_severity,
    severity_facts_read,
)
from worker.policy.sla import holidays_text
from worker.routing.rota import rota_for
from worker.routing.writes import holder_words, phone_lines

UTC = timezone.utc


# The issue property that holds the decision as JSON: Jira keeps the record (docs/DESIGN.md decision 2).
PROPERTY = "priority-support"

ENTITLED, NOT_ENTITLED, UNDECIDED = "entitled", "not_entitled", "undecided"


@dataclass(frozen=True)
class Decision:
    issue_key: str
    entitled: bool
    reasons: tuple[Reason, ...]  # the rules that failed: any one makes the request not entitled
    severity: Severity  # what the request asked for, and from where
    requested_level: str
    level: str | None  # the Priority Support level applied (None when not entitled)
    cap_reason: str | None
    sen: str | None
    customer: str | None
    region: str | None
    time_zone: str  # the customer's zone, for the comment and reminders
    holidays: tuple[str, str | None] | None  # the customer's own holiday calendar, if not the region's
    jira_priority: str | None  # None: leave the priority alone
    labels_add: tuple[str, ...]
    labels_remove: tuple[str, ...]
    fields: Mapping[str, Any]  # field id -> value (None clears it)
    created: datetime
    due: datetime | None
    reminders: tuple[tuple[float, datetime], ...]  # every (threshold, instant); 1.0 = the breach
    pending_reminders: tuple[tuple[float, datetime], ...]  # what to schedule as at decided_at
    comment: str
    config_version: str
    decided_at: datetime
    # The rules that could not be judged (a fact unreadable or unknown). With no failed rule they
    # make the outcome "undecided": never entitled, never rejected, deferred to a retry or a person.
    undecided: tuple[Reason, ...] = ()
    # The agent's priority that set the level (None: no override). Recorded even when the priority
    # is left alone (not entitled), so a later triage reading the property knows the override stands.
    override_priority: str | None = None
    # Who holds the request at its creation (worker/routing/rota.py Holding.route()); None without
    # a routing config or when not entitled.
    route: Mapping[str, Any] | None = None

    @property
    def reason_codes(self) -> tuple[ReasonCode, ...]:
        return tuple(reason.code for reason in self.reasons)

    @property
    def outcome(self) -> str:
        if self.entitled:
            return ENTITLED
        return NOT_ENTITLED if self.reasons else UNDECIDED

    def to_dict(self) -> dict[str, Any]:
        return {
            "issue_key": self.issue_key,
            "entitled": self.entitled,
            "outcome": self.outcome,
            "reasons": [{"code": r.code.value, "detail": r.detail} for r in self.reasons],
            "undecided": [{"code": r.code.value, "detail": r.detail} for r in self.undecided],
            "severity": {"level": self.severity.level, "source": self.severity.source, "detail": self.severity.detail},
            "requested_level": self.requested_level,
            "level": self.level,
            "cap_reason": self.cap_reason,
            "sen": self.sen,
            "customer": self.customer,
            "region": self.region,
            "time_zone": self.time_zone,
            "holidays": holidays_text(self.holidays),
            "jira_priority": self.jira_priority,
            "labels_add": list(self.labels_add),
            "labels_remove": list(self.labels_remove),
            "fields": dict(self.fields),
            "created": iso_utc(self.created),
            "due": iso_utc(self.due) if self.due else None,
            "reminders": [{"at": at, "instant": iso_utc(instant)} for at, instant in self.reminders],
            "comment": self.comment,
            "config_version": self.config_version,
            # Only when set, so that decisions without an override keep their ids.
            **({"level_override": {"level": self.severity.level, "priority": self.override_priority}}
               if self.override_priority else {}),
            **({"route": dict(self.route)} if self.route else {}),  # only when set: older ids stay
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def iso_utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def jira_datetime(instant: datetime) -> str:
    """Jira's REST datetime format, in UTC: 2026-11-26T10:00:00.000+0000."""
    utc = instant.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}+0000"


def decide(facts: RequestFacts, entitlement: Entitlement | None, config: MappingConfig, now: datetime,
           override: LevelOverride | None = None) -> Decision:
    """Decide a request. `entitlement` is the source's record for the request's SEN, or None.

    `override`: the level an agent chose by setting the Jira priority (worker/triage.py); it
    replaces the level the request's fields ask for, uncapped, and the priority is left as set."""
    if facts.created is None:
        raise ValueError(f"{facts.issue_key}: cannot decide without the creation time")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    judged = check_entitlement(facts, entitlement, config)
    if override is not None:
        severity = override.severity()
        applied = AppliedLevel(override.level, override.level)
    else:
        severity = assess_severity(facts, config)
        applied = apply_environment_cap(severity.level, facts, config)
        judged += _unreadable_level_facts(facts, severity, config)
    reasons = tuple(reason for reason in judged if reason.decisive)
    undecided = tuple(reason for reason in judged if not reason.decisive)
    entitled = not reasons and not undecided
    zone = customer_zone(entitlement, config)
    due, reminders, pending, route = None, (), (), None
    if entitled:
        if entitlement.region not in config.regions:
            raise ValueError(f"{entitlement.sen}: region {entitlement.region!r} is not in the mapping config")
        own_zone = entitlement.time_zone if entitlement.time_zone != config.regions[entitlement.region].zone else None
        times = config.sla_policy().due(applied.level, entitlement.region, facts.created, zone=own_zone,
                                        holidays=entitlement.holidays)
        due = times.due
        reminders = tuple(sorted((r.at, due if r.at >= 1 else times.reminders[r.at]) for r in config.reminders))
        pending = _pending(reminders, now)
        route = _route(facts, applied.level, entitlement, own_zone, config)
    outcome = ENTITLED if entitled else (NOT_ENTITLED if reasons else UNDECIDED)
    labels_add, labels_remove = _labels(outcome, applied.level, reasons, config)
    jira_priority = None
    if entitled:
        jira_priority = override.priority if override is not None else config.levels[applied.level].jira_priority
    decision = Decision(
        issue_key=facts.issue_key,
        entitled=entitled,
        reasons=reasons,
        severity=severity,
        requested_level=applied.requested,
        level=applied.level if entitled else None,
        cap_reason=applied.cap_reason if entitled else None,
        sen=normalise_sen(facts.sen),
        customer=entitlement.customer if entitlement else None,
        region=entitlement.region if entitlement else None,
        time_zone=zone,
        holidays=entitlement.holidays if entitlement else None,
        jira_priority=jira_priority,
        labels_add=labels_add,
        labels_remove=labels_remove,
        fields=_fields(entitled, applied.level, due, config),
        created=facts.created.astimezone(UTC),
        due=due,
        reminders=reminders,
        pending_reminders=pending,
        comment="",
        config_version=config.version,
        decided_at=now.astimezone(UTC),
        undecided=undecided,
        override_priority=override.priority if override is not None else None,
        route=route,
    )
    return _with_comment(decision, config)


def _route(facts: RequestFacts, level: str, entitlement: Entitlement, own_zone: str | None,
           config: MappingConfig) -> dict[str, Any] | None:
    """The holder at creation: a decision is judged at the creation time (the handoffs since, if
    the triage is late, follow at once: worker/reminders/handoffs.py)."""
    rota = rota_for(config)
    if rota is None:
        return None
    return rota.holding_at(facts.issue_key, level, entitlement.region, facts.created.astimezone(UTC),
                           zone=own_zone, holidays=entitlement.holidays).route()


def _unreadable_level_facts(facts: RequestFacts, severity: Severity, config: MappingConfig) -> list[Reason]:
    """FACT_UNREADABLE for a fact the level depends on: a severity source tried before the one that
    gave the level (it might have given another), or the environment of a production-only level."""
    found = [unreadable(facts, fact, config) for fact in severity_facts_read(severity, config)]
    if config.levels[severity.level].production_only:
        found.append(unreadable(facts, "environment", config))
    return [reason for reason in found if reason is not None]


def _pending(reminders: tuple[tuple[float, datetime], ...], now: datetime) -> tuple[tuple[float, datetime], ...]:
    """The reminders still to fire; of those already passed only the highest is kept, so a late
    triage or a severity change fires one catch-up reminder rather than several (docs/POLICY.md 5)."""
    passed = [pair for pair in reminders if pair[1] <= now]
    return tuple(passed[-1:] + [pair for pair in reminders if pair[1] > now])


def _labels(outcome: str, level: str, reasons: tuple[Reason, ...],
            config: MappingConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    labels = config.labels
    level_labels = [lvl.label for lvl in config.levels.values()]
    reason_labels = [labels.reason_prefix + code.value.lower() for code in ReasonCode if code not in UNDECIDED_CODES]
    if outcome == ENTITLED:
        add = [*labels.entitled, config.levels[level].label]
    elif outcome == NOT_ENTITLED:
        add = [labels.not_entitled, *(labels.reason_prefix + r.code.value.lower() for r in reasons)]
    else:
        add = [labels.needs_review]
    managed = [*labels.entitled, *level_labels, labels.not_entitled, labels.needs_review, *reason_labels]
    remove = [label for label in dict.fromkeys(managed) if label not in add]
    return tuple(dict.fromkeys(add)), tuple(remove)


def _fields(entitled: bool, level: str, due: datetime | None, config: MappingConfig) -> dict[str, Any]:
    # A request that is not entitled carries no Priority Support field (the reason labels say
    # why): None asks for the field to be cleared, should an earlier triage have set it.
    write = config.write_fields
    values: dict[str, Any] = {}
    if write.level:
        values[write.level] = level if entitled else None
    if write.due:
        values[write.due] = jira_datetime(due) if entitled and due else None
    if write.entitlement:
        values[write.entitlement] = "entitled" if entitled else None
    return values


# --- the comment ----------------------------------------------------------------------------


def format_duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def local_and_utc(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    utc = f"{instant.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if zone == "UTC":
        return utc
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({zone}), {utc}"


def _calendar_words(level: str, region: str, zone: str, config: MappingConfig,
                    holidays: tuple[str, str | None] | None = None) -> str:
    calendar = config.levels[level].calendar
    if calendar == "24x7":
        return "around the clock (24x7)"
    if calendar == "24x5-global":
        return "on the global business week (24x5: closed Friday 17:00 Los Angeles to Monday 10:00 Sydney)"
    whose = "-".join(filter(None, holidays)) if holidays else region
    return f"on {region} working hours in {zone}, minus {whose} public holidays"


def _target_words(level: str, region: str, config: MappingConfig) -> str:
    target = config.sla_policy().target_for(level, region)
    stated = config.levels[level].target
    if isinstance(stated, timedelta):
        return format_duration(target)
    day = config.sla_policy().regions[region].day_length
    return f"{format_duration(target)} ({stated} of {format_duration(day)})"


def _with_comment(d: Decision, config: MappingConfig) -> Decision:
    lines = []
    severity = f"{d.requested_level}, {config.levels[d.requested_level].meaning} ({d.severity.detail})"
    if d.entitled:
        level = config.levels[d.level]
        region = config.regions[d.region]
        lines += [
            "Priority Support triage: ENTITLED.",
            f"Customer: {d.customer} ({d.sen}), region {d.region}.",
            f"Requested level: {severity}.",
        ]
        if d.cap_reason:
            lines.append(f"Capped: {d.cap_reason}.")
        lines += [
            f"Level: {d.level}, {level.meaning}; Jira priority {d.jira_priority}.",
            f"Initial response due: {local_and_utc(d.due, d.time_zone)}.",
            f"Target {_target_words(d.level, d.region, config)} counted "
            f"{_calendar_words(d.level, d.region, d.time_zone, config, d.holidays)}"
            f", from the request's creation at {local_and_utc(d.created, 'UTC')}.",
        ]
        if level.phone_in_comment and d.route:
            lines.append(phone_lines(d.route.get("office"), d.region, config, d.level, "when it was raised"))
        elif level.phone_in_comment:
            lines.append(f"{d.level} phone support: the {d.region} Priority Support line is {region.phone}.")
        if d.route:
            lines.append(f"Routed to {holder_words(d.route)}.")
    elif d.reasons:
        lines += [
            "Priority Support triage: NOT ENTITLED. This request stays with the standard support "
            "process; no Priority Support SLA is set.",
            "Why:",
            *(f"- {r.code.value}: {r.detail}." for r in d.reasons),
        ]
        if d.undecided:
            lines += ["Also not judged:", *(f"- {r.code.value}: {r.detail}." for r in d.undecided)]
        lines.append(f"Requested level: {severity}.")
    else:
        lines += [
            "Priority Support triage: CANNOT DECIDE. A person must check this request: no Priority "
            "Support SLA is set until it is decided.",
            "Could not judge:",
            *(f"- {r.code.value}: {r.detail}." for r in d.undecided),
            "Decide by hand, or fix what is named above (a changed field triages the request again).",
            f"Requested level: {severity}.",
        ]
    lines.append(f"(mapping config version {d.config_version})")
    return replace(d, comment="\n".join(lines))
