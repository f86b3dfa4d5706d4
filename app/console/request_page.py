"""What the console's page for one request shows, gathered from Redis: the decision (the open
requests index, else the newest triage in the audit trail, so a request that is not entitled or
has left the board can be explained too), every entitlement check, the SLA clock's picture, the
waiting reminders and the audit trail."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from app.console import board, clock_svg
from app.console.checks import Check, checklist
from worker import open_requests
from worker.reminders.plan import RecordedDecision, threshold_code
from worker.reminders.schedule import configured_codes
from worker.reminders.store import ReminderStore

UTC = timezone.utc


@dataclass
class AuditLine:
    at: str
    kind: str
    summary: str
    detail: str  # the whole entry as JSON


@dataclass
class RequestView:
    key: str
    decision: dict[str, Any]
    source: str
    state: str | None  # the board's state, when the request is on the board
    responded: dict[str, Any] | None
    checks: list[Check]
    picture: clock_svg.Picture | None
    waiting: list[tuple[str, str, str, str]]  # (threshold, "due"/"claimed", when, dispatch lag in words)
    audit: list[AuditLine]


def _from_audit(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    for entry in entries:  # newest first
        if entry.get("kind") != "triage":
            continue
        for key in ("writes", "would_write"):
            prop = (entry.get(key) or {}).get("property") if isinstance(entry.get(key), dict) else None
            if isinstance(prop, dict):
                return prop
    return None


def _summary(entry: dict[str, Any]) -> str:
    kind = entry.get("kind")
    if kind == "triage":
        if entry.get("outcome") == "error":
            return f"error: {entry.get('error', '?')}"
        level = entry.get("level") or "not entitled " + ",".join(entry.get("reasons") or [])
        return f"{entry.get('outcome', '?')}: {level}, due {entry.get('due') or '-'}"
    if kind == "reminder":
        return f"{entry.get('threshold', '?')} % reminder: {', '.join(entry.get('actions') or []) or entry.get('outcome', '')}"
    if kind and kind.startswith("reminders_"):
        return kind.replace("_", " ") + ": " + ", ".join(
            str(r.get("at")) + " %" if isinstance(r, dict) else str(r) + " %"
            for r in (entry.get("reminders") or entry.get("removed") or [])) + (
            f" ({entry['reason']})" if entry.get("reason") else "")
    return str(entry.get("outcome") or entry.get("error") or "")


def load(services, config, issue_key: str, now: datetime) -> RequestView | None:
    entries = services.audit.entries(issue_key)
    decision = open_requests.decision(services.redis, issue_key)
    source = "the open requests index"
    if decision is None:
        decision, source = _from_audit(entries), "the audit trail (the request is not on the board)"
    if decision is None:
        return None
    row = services.redis.hget(open_requests.OPEN, issue_key)
    responded = open_requests.responded_of(services.redis, issue_key)
    state = board.state_of(json.loads(row), responded, now.timestamp()) if row else None
    recorded = RecordedDecision.parse(decision)
    cycle = recorded.cycle
    fired = frozenset(str(e.get("threshold")) for e in entries
                      if e.get("kind") == "reminder" and e.get("cycle", 1) == cycle)
    responded_at = datetime.fromtimestamp(responded["at"], UTC) if responded else None
    try:
        picture = clock_svg.picture(decision, config, now, responded_at, fired)
    except (KeyError, ValueError, TypeError):
        picture = None  # a property this config cannot draw: the page still explains the decision
    codes = set(configured_codes(config))
    for at, _ in recorded.reminders:
        try:
            codes.add(threshold_code(at))
        except ValueError:
            continue
    waiting = []
    for code, (where, at) in sorted(ReminderStore(services.redis).scheduled(issue_key, codes).items(),
                                    key=lambda item: float(item[0])):
        late = now.timestamp() - at
        note = f"waiting {late:.0f} s for the beat" if where == "due" and late >= 0 else ""
        waiting.append((code, where, datetime.fromtimestamp(at, UTC).strftime("%a %d %b %H:%M UTC"), note))
    audit = [AuditLine(str(e.get("at", "")), str(e.get("kind", "")), _summary(e),
                       json.dumps(e, indent=1, sort_keys=True, default=str)) for e in entries]
    return RequestView(issue_key, decision, source, state, responded, checklist(decision), picture, waiting, audit)
