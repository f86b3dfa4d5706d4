"""The index of open triaged Priority Support requests, for the console's board (app/console).

The board must not ask Jira per page view, so the worker keeps what the board shows in Redis,
each piece written where the worker learns it:

- `psw:open`            hash, issue key -> the board's row (JSON, instants as epoch seconds):
                        written by the triage once the decision's property is on the issue
                        (`record`), added back by the reconciliation sweep when missing
                        (`record_missing`, e.g. after a wipe).
- `psw:open:decisions`  hash, issue key -> the whole decision property, for the request page.
- `psw:open:responded`  hash, issue key -> {"cycle", "at", "how"}: the first response, written
                        when the reminders find the request answered (`answered`).
- `psw:breaches`        sorted set, "<key>|<cycle>" scored by the due instant, and
- `psw:breaches:rows`   hash, the same member -> {level, region, customer}: requests that
                        breached, written when they leave the board (`close`), kept 31 days for
                        the board's 7- and 30-day counts. Breaches still on the board are
                        counted from `psw:open`.

Like the reminder schedule, this is a copy of what Jira holds and can be rebuilt from it: the
sweep puts back rows of open triaged requests and drops rows of requests Jira no longer has open
(`prune`). Every function takes the Redis client and plain values, so the worker's hooks into
triage, firing and the sweep stay one line each.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from worker import clock
from worker.reminders.plan import RecordedDecision

OPEN = "psw:open"
DECISIONS = "psw:open:decisions"
RESPONDED = "psw:open:responded"
BREACHES = "psw:breaches"
BREACH_ROWS = "psw:breaches:rows"
BREACH_KEEP = timedelta(days=31)
SUMMARY_CHARS = 300  # a board cell, not the whole summary
AT_RISK_AT = 0.75


def _epoch(instant: datetime | None) -> float | None:
    return None if instant is None else instant.timestamp()


def row_of(issue_key: str, prop: Mapping[str, Any], fields: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The board's row for an entitled decision property; None when it is not entitled (or has no
    due time): such a request is not a Priority Support request with a clock. A malformed property
    gives what can be read of it (RecordedDecision)."""
    recorded = RecordedDecision.parse(prop)
    if not recorded.entitled or recorded.due is None:
        return None
    summary = (fields or {}).get("summary")
    reminders = sorted([at, instant.timestamp()] for at, instant in recorded.reminders if instant is not None)
    return {
        "key": issue_key,
        "summary": summary[:SUMMARY_CHARS] if isinstance(summary, str) else "",
        "customer": recorded.customer or "",
        "sen": recorded.sen or "",
        "level": recorded.level or "",
        "region": recorded.region or "",
        # The team holding it: the triage's holder, then each warm handoff's (`handed_to`).
        "team": recorded.team or "",
        "zone": recorded.time_zone or "UTC",
        "holidays": recorded.holidays,
        "created": _epoch(recorded.created),
        "due": recorded.due.timestamp(),
        "reminders": reminders,
        # From here the board calls the request at risk: 75 % of the target elapsed on its calendar.
        "at_risk": next((instant for at, instant in reminders if at == AT_RISK_AT), None),
        "cycle": recorded.cycle,
        "decision_id": recorded.decision_id or "",
        "indexed": clock.now().timestamp(),
    }


def record(client, issue_key: str, prop: Mapping[str, Any], fields: Mapping[str, Any] | None = None) -> None:
    """After a triage wrote `prop`: the request's row and decision, or its removal when the
    decision is not entitled (any more). Its first response, if recorded, stays."""
    row = row_of(issue_key, prop, fields)
    if row is None:
        pipe = client.pipeline(transaction=True)
        pipe.hdel(OPEN, issue_key)
        pipe.hdel(DECISIONS, issue_key)
        pipe.hdel(RESPONDED, issue_key)
        pipe.execute()
        return
    pipe = client.pipeline(transaction=True)
    pipe.hset(OPEN, issue_key, json.dumps(row, separators=(",", ":")))
    pipe.hset(DECISIONS, issue_key, json.dumps(dict(prop), separators=(",", ":"), default=str))
    pipe.execute()


def record_missing(client, issue_key: str, prop: Mapping[str, Any], fields: Mapping[str, Any] | None = None) -> bool:
    """The sweep's call for an open triaged request: add its row only when there is none, so a
    fresher row the triage wrote meanwhile is never replaced by the search's older view."""
    row = row_of(issue_key, prop, fields)
    if row is None:
        return False
    pipe = client.pipeline(transaction=False)
    pipe.hsetnx(OPEN, issue_key, json.dumps(row, separators=(",", ":")))
    pipe.hsetnx(DECISIONS, issue_key, json.dumps(dict(prop), separators=(",", ":"), default=str))
    return bool(pipe.execute()[0])


def handed_to(client, issue_key: str, team: str) -> None:
    """A warm handoff moved the request to `team` (worker/reminders/handoffs.py): the board's
    "team now". A request not on the board is left off it."""
    def move(pipe) -> None:  # under WATCH: a resolution's close() in between is not undone
        raw = pipe.hget(OPEN, issue_key)
        if raw is None:
            return
        row = json.loads(raw)
        row["team"] = team
        pipe.multi()
        pipe.hset(OPEN, issue_key, json.dumps(row, separators=(",", ":")))

    client.transaction(move, OPEN)


def answered(client, issue_key: str, state: str, evidence: str, cycle: int = 1) -> None:
    """The reminders found the request answered (worker/reminders/response.py states): a first
    response marks the row responded; a resolution takes the request off the board."""
    if state == "resolved":
        close(client, issue_key)
        return
    if client.hexists(OPEN, issue_key):
        client.hsetnx(RESPONDED, issue_key, json.dumps(
            {"cycle": cycle, "at": clock.now().timestamp(), "how": evidence[:200]}, separators=(",", ":")))


def breached(row: Mapping[str, Any], responded: Mapping[str, Any] | None, now: float) -> bool:
    """Due passed before the first response of the row's cycle (or with none yet)."""
    if responded and responded.get("cycle", 1) >= row.get("cycle", 1):
        return responded["at"] > row["due"]
    return now >= row["due"]


def close(client, issue_key: str) -> bool:
    """The request left the board (resolved, or no longer open in Jira): drop its row, and keep
    it in the breach history if it breached. Returns whether it had a row."""
    raw, responded = client.hget(OPEN, issue_key), client.hget(RESPONDED, issue_key)
    now = clock.now().timestamp()
    pipe = client.pipeline(transaction=True)
    pipe.hdel(OPEN, issue_key)
    pipe.hdel(DECISIONS, issue_key)
    pipe.hdel(RESPONDED, issue_key)
    if raw is not None:
        row = json.loads(raw)
        if breached(row, json.loads(responded) if responded else None, now):
            name = f"{issue_key}|{row['cycle']}"
            pipe.zadd(BREACHES, {name: row["due"]})
            pipe.hset(BREACH_ROWS, name, json.dumps(
                {k: row[k] for k in ("key", "level", "region", "customer")}, separators=(",", ":")))
    pipe.execute()
    _trim_breaches(client, now)
    return raw is not None


def _trim_breaches(client, now: float) -> None:
    old = client.zrangebyscore(BREACHES, "-inf", now - BREACH_KEEP.total_seconds())
    if old:
        pipe = client.pipeline(transaction=True)
        pipe.zrem(BREACHES, *old)
        pipe.hdel(BREACH_ROWS, *old)
        pipe.execute()


def prune(client, seen: Iterable[str], since: datetime, created_after: datetime) -> list[str]:
    """After a complete sweep of the open requests created after `created_after`: close the rows
    of requests in that window the sweep did not find open, unless indexed after `since` (the
    sweep's start: a triage that wrote its row meanwhile). Returns the keys closed."""
    seen = set(seen)
    closed = []
    for key, raw in client.hgetall(OPEN).items():
        key = key.decode()
        if key in seen:
            continue
        row = json.loads(raw)
        if row["indexed"] >= since.timestamp() or (row["created"] or 0) < created_after.timestamp():
            continue
        if close(client, key):
            closed.append(key)
    return closed


class ParsedRows:
    """Rows parsed before, by their exact bytes: a web process parses only the rows that changed
    since its last board (parsing all 5,000 is most of a board's time). Rows are read-only."""

    def __init__(self) -> None:
        self._by_raw: dict[bytes, dict[str, Any]] = {}

    def parse(self, raws: list[bytes]) -> list[dict[str, Any]]:
        known = self._by_raw
        fresh = [raw for raw in raws if raw not in known]
        # One parse of the new rows (a JSON array built from them) costs a fraction of one per row.
        parsed = dict(zip(fresh, json.loads(b"[" + b",".join(fresh) + b"]"))) if fresh else {}
        self._by_raw = {raw: known.get(raw) or parsed[raw] for raw in raws}  # forgets rows gone
        return list(self._by_raw.values())


# Every row in one reply, one per line: redis-py reads one bulk string many times faster than 5,000
# (most of a board's time otherwise). Compact JSON never holds a raw newline: json.dumps escapes it.
_ALL_ROWS = "return table.concat(redis.call('HVALS', KEYS[1]), '\\n')"


def rows(client, parsed: ParsedRows | None = None) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every row of the board, and the first responses by issue key (two reads)."""
    pipe = client.pipeline(transaction=False)
    pipe.eval(_ALL_ROWS, 1, OPEN)
    pipe.hgetall(RESPONDED)
    blob, raw_responded = pipe.execute()
    raw_rows = blob.split(b"\n") if blob else []
    return ((parsed or ParsedRows()).parse(raw_rows),
            {k.decode(): json.loads(v) for k, v in raw_responded.items()})


def breach_history(client, since: datetime) -> list[dict[str, Any]]:
    """Requests that breached with a due after `since` and have left the board, with the due."""
    found = client.zrangebyscore(BREACHES, since.timestamp(), "+inf", withscores=True)
    if not found:
        return []
    infos = client.hmget(BREACH_ROWS, [name for name, _ in found])
    return [{**json.loads(info), "due": due, "member": name.decode()}
            for (name, due), info in zip(found, infos) if info is not None]


def decision(client, issue_key: str) -> dict[str, Any] | None:
    raw = client.hget(DECISIONS, issue_key)
    return json.loads(raw) if raw else None


def responded_of(client, issue_key: str) -> dict[str, Any] | None:
    raw = client.hget(RESPONDED, issue_key)
    return json.loads(raw) if raw else None
