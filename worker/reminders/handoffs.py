"""Warm handoffs on the reminders' durable schedule (docs/POLICY.md section 6).

A follow-the-sun request (L1, L2) has at most one handoff on the schedule at a time: the member
``"<issue key>|handoff"`` in `psw:reminders:due`, scored at the handoff's instant (worker/routing/
rota.py: `handoff_before` the outgoing holder's shift end). The beat's clock loop claims it like a
reminder and queues `fire_reminder` on the time lane; the firing (`fire_held`, behind the same
claim, lease and lock as a reminder's, worker/reminders/firing.py) works out from the decision
property and the running config which handoff is due, makes it, and puts the member back on the
schedule at the next one. So nothing but the issue key is kept in Redis, and the sweep rebuilds a
lost member from the property (`rebuild_handoff`).

Exactly once per handoff: the handoff's code (its boundary instant) is in a done mark (SET NX,
written after the actions) and in the comment's marker, which a firing looks for before it posts
(a worker killed after posting, or a Redis that lost the mark). Only the latest handoff due is
made: a late triage or a firing after an outage catches up with one handoff to the holder of now.

A resolved request's handoff is taken off the schedule (`cancel_handoff`, from the resolution's
webhook, or by the firing that finds it resolved). An answered request still changes hands (it
is active); one waiting for the customer (`RESPONDED_STATUSES`) is reassigned without a comment.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from worker import open_requests
from worker.bodies import mapping, shorten, text
from worker.jira.errors import JiraRejected
from worker.policy.decision import PROPERTY, iso_utc, local_and_utc
from worker.reminders import response
from worker.reminders.plan import ReminderPlan
from worker.reminders.schedule import plan_or_none
from worker.reminders.store import MARK_TTL, ReminderStore
from worker.routing import Handoff, rota_for
from worker.routing.writes import changed_fields, held_team, holder_fields, holder_words, phone_lines

log = logging.getLogger(__name__)

HANDOFF = "handoff"  # the member's code: ("PS-1", "handoff")
MARKER_PREFIX = "psw-handoff:"
EARLY = timedelta(seconds=1)  # scores are kept to the millisecond
SNIPPET = 160


def is_handoff(code: str) -> bool:
    return code == HANDOFF


def marker(handoff: Handoff) -> str:
    return f"({MARKER_PREFIX}{handoff.code})"


def _done_key(issue_key: str, code: str) -> str:
    return f"psw:handoffs:done:{issue_key}:{code}"


def _routed(services, plan: ReminderPlan | None):
    """The rota, when the plan is an entitled follow-the-sun request of the running config."""
    rota = rota_for(services.config())
    if rota is None or plan is None or not plan.entitled or not plan.level or not plan.region \
            or plan.created is None or not rota.follows_the_sun(plan.level) or plan.region not in rota.routing.regions:
        return None
    return rota


def _pending(services, rota, plan: ReminderPlan, now: datetime) -> Handoff | None:
    """The latest handoff due at `now` when it was not made yet, else the next one."""
    latest, following = rota.due_handoff(plan.issue_key, plan.level, plan.region, plan.created, now)
    if latest is not None and not services.redis.exists(_done_key(plan.issue_key, latest.code)):
        return latest
    return following


def schedule_handoff(services, issue_key: str, prop: dict[str, Any], now: datetime) -> datetime | None:
    """After a triage: the request's handoff on the schedule (replacing any), or none when the
    decision routes nothing that changes hands. Returns the instant scheduled."""
    store = ReminderStore(services.redis)
    plan = ReminderPlan.from_property(issue_key, prop)
    rota = _routed(services, plan)
    handoff = _pending(services, rota, plan, now) if rota is not None else None
    if handoff is None:
        if store.remove(issue_key, [HANDOFF]):
            services.audit.record(issue_key, "handoff_cancelled", reason="the decision routes no handoffs")
        return None
    store.replace(issue_key, [HANDOFF], {HANDOFF: handoff.due})
    services.audit.record(issue_key, "handoff_scheduled", handoff=handoff.code, due=iso_utc(handoff.due),
                          outgoing=handoff.outgoing.team, incoming=handoff.incoming.team)
    return handoff.due


def rebuild_handoff(services, plan: ReminderPlan, now: datetime) -> bool:
    """The sweep: put back a follow-the-sun request's handoff that is neither scheduled nor being
    made (after Redis lost it). True when one was added."""
    rota = _routed(services, plan)
    if rota is None:
        return False
    handoff = _pending(services, rota, plan, now)
    if handoff is None:
        return False
    added = ReminderStore(services.redis).add_missing(plan.issue_key, {HANDOFF: handoff.due})
    if added:
        services.audit.record(plan.issue_key, "handoff_rebuilt", handoff=handoff.code, due=iso_utc(handoff.due))
    return bool(added)


def cancel_handoff(services, issue_key: str, reason: str) -> bool:
    """Take the request's pending handoff off the schedule (it was resolved)."""
    removed = ReminderStore(services.redis).remove(issue_key, [HANDOFF])
    if removed:
        services.audit.record(issue_key, "handoff_cancelled", reason=reason)
        log.info("handoff %s: cancelled (%s)", issue_key, reason)
    return bool(removed)


# -- firing ------------------------------------------------------------------------------------


def issue_fields(config) -> list[str]:
    routing = config.routing
    return ["summary", "status", "labels", "reporter", "assignee", *([routing.team_field.id] if routing else [])]


def fire_held(services, store: ReminderStore, name: str, issue_key: str, code: str, now: datetime,
              settings, attempt: int):
    """Make the handoff that is due (the member is claimed and locked: firing.fire)."""
    from worker.reminders.firing import Outcome  # firing dispatches here: imported when used

    config = services.config()
    gateway = services.gateway()
    issue = gateway.get_issue(issue_key, fields=issue_fields(config), properties=[PROPERTY])
    plan = plan_or_none(issue_key, mapping(issue.get("properties")).get(PROPERTY))
    rota = _routed(services, plan)
    if rota is None:
        store.release(name)
        return Outcome("not_routed", issue_key, "no entitled follow-the-sun decision on the issue")
    fields = mapping(issue.get("fields"))
    done = response.resolved(fields)
    if done is not None:
        store.release(name)
        services.audit.record(issue_key, "handoff_cancelled", reason=done.evidence)
        return Outcome("cancelled", issue_key, done.evidence)
    latest, following = rota.due_handoff(issue_key, plan.level, plan.region, plan.created, now + EARLY)
    if latest is None:
        store.defer(name, following.due)
        return Outcome("not_yet", issue_key, f"next handoff due {iso_utc(following.due)}")
    if services.redis.exists(_done_key(issue_key, latest.code)):
        _next(store, name, following)
        return Outcome("already_done", issue_key, latest.code)
    comments = gateway.get_comments(issue_key)
    if any(c.get("public") is not True and marker(latest) in str(c.get("body") or "") for c in comments):
        _mark_done(services, issue_key, latest)
        _next(store, name, following)
        services.audit.record(issue_key, "handoff", handoff=latest.code, outcome="comment already posted; marked done")
        return Outcome("already_posted", issue_key, latest.code)

    actions = []
    wanted = changed_fields(holder_fields(latest.incoming.route(), config.routing, gateway.deployment),
                            fields, config.routing)
    if wanted:
        try:
            gateway.edit_issue(issue_key, fields=wanted)
            actions.append("reassigned")
        except JiraRejected as exc:
            # A field or user Jira refuses must not silence the handoff itself: the comment still
            # tells the next team, and the audit says what failed.
            actions.append(f"reassignment refused ({exc.status})")
            log.error("handoff %s: reassignment refused: %s", name, exc)
    status_name, _ = response.status_of(fields)
    if status_name not in settings.responded_statuses:  # unanswered or active: the team must know
        held = _held_by(fields, config.routing, latest)
        gateway.add_internal_comment(issue_key, handoff_comment(services, plan, latest, held, comments, now))
        actions.append("comment")
    record = dict(handoff=latest.code, level=plan.level, outgoing=holder_words(latest.outgoing.route()),
                  incoming=holder_words(latest.incoming.route()), actions=actions, jira_calls=len(gateway.call_log))
    if gateway.shadow:
        # Nothing was sent (the gateway recorded it) and no mark is left; the next handoff is
        # scheduled, so shadow mode shows each handoff once as it comes due.
        _next(store, name, following)
        services.audit.record(issue_key, "handoff", outcome="shadow", **record)
        return Outcome("shadow", issue_key, ", ".join(actions))
    _mark_done(services, issue_key, latest)
    _next(store, name, following)
    open_requests.handed_to(services.redis, issue_key, latest.incoming.team)  # the console's "team now"
    services.audit.record(issue_key, "handoff", outcome="handed_off", **record)
    log.info("handoff %s: %s -> %s (%s)", issue_key, latest.outgoing.team, latest.incoming.team, ", ".join(actions))
    return Outcome("handed_off", issue_key, ", ".join(actions))


def _mark_done(services, issue_key: str, handoff: Handoff) -> None:
    services.redis.set(_done_key(issue_key, handoff.code), "1", nx=True, ex=MARK_TTL)


def _next(store: ReminderStore, name: str, following: Handoff | None) -> None:
    if following is None:
        store.release(name)
    elif not store.defer(name, following.due):
        # No longer claimed (a triage replaced it meanwhile): that triage's schedule stands.
        log.info("handoff %s: not claimed any more; the schedule is the triage's", name)


# -- the comment -----------------------------------------------------------------------------


def _held_by(fields: dict, routing, handoff: Handoff) -> str:
    """Who holds the request on the issue, when that is not already the incoming holder (a
    retried handoff has reassigned it): after a late triage or an outage, it may not be the
    outgoing holder of the rota."""
    team = held_team(fields, routing)
    if team is None or team == handoff.incoming.team:
        return holder_words(handoff.outgoing.route())
    assignee = text(mapping(fields.get("assignee")).get("displayName"))
    return team + (f" ({assignee})" if assignee else "")


def handoff_comment(services, plan: ReminderPlan, handoff: Handoff, held: str, comments: list[dict],
                    now: datetime) -> str:
    """The internal handoff comment: what the incoming team needs before the outgoing one goes."""
    config = services.config()
    zone = config.regions[handoff.outgoing.office].zone if handoff.outgoing.office else "UTC"
    lines = [
        f"Priority Support warm handoff ({plan.level}): {held} hands this "
        f"request to {holder_words(handoff.incoming.route())} at the end of its shift, "
        f"{local_and_utc(handoff.boundary, zone)}.",
        f"Level: {plan.level}, {config.levels[plan.level].meaning}. Customer: {plan.customer or '?'}, "
        f"region {plan.region}.",
        f"Age: {_span(now - plan.created)} (created {local_and_utc(plan.created, 'UTC')}).",
        f"Initial response: {_response_state(services, plan, now)}.",
        f"Last public activity: {_last(comments, public=True)}.",
        f"Last internal note: {_last(comments, public=False)}.",
        f"Held by: {held}.",
    ]
    if config.levels[plan.level].phone_in_comment:
        lines.append(phone_lines(handoff.incoming.office, plan.region, config, plan.level))
    lines.append("")
    lines.append(marker(handoff))
    return "\n".join(lines)


def _response_state(services, plan: ReminderPlan, now: datetime) -> str:
    settled = ReminderStore(services.redis).settled_cycle(plan.issue_key)
    if settled is not None and settled >= plan.cycle:
        return "answered (the first response came)"
    if plan.due is None:
        return "no due time"
    if plan.due > now:
        return f"due {local_and_utc(plan.due, plan.time_zone)}, in {_span(plan.due - now)}"
    return f"BREACHED at {local_and_utc(plan.due, plan.time_zone)}, {_span(now - plan.due)} ago, no first response seen"


def _last(comments: list[dict], *, public: bool) -> str:
    """The latest comment of that kind by a person (the service's own comments carry markers)."""
    ours = ("(psw-", MARKER_PREFIX)
    found = [c for c in comments if (c.get("public") is True) == public
             and not any(mark in str(c.get("body") or "") for mark in ours)]
    if not found:
        return "none"
    last = found[-1]
    when = text(mapping(last.get("created")).get("iso8601")) or "?"
    who = text(mapping(last.get("author")).get("displayName")) or "?"
    body = " ".join(str(last.get("body") or "").split())
    return f"{when} by {who}: \"{shorten(body, SNIPPET)}\""


def _span(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{days}d " if days else "") + f"{hours}h{minutes:02d}m"

