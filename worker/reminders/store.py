"""The durable reminder schedule in Redis (docs/DESIGN.md decision 4).

Layout, and why it is this small:

- `psw:reminders:due`     sorted set, score = the instant the reminder falls due (epoch s).
- `psw:reminders:claimed` sorted set, score = when the claim's lease runs out (epoch s).

A member is the whole record: ``"<issue key>|<threshold code>"``, e.g. ``"PS-123|75"``. The
reminder's other data (level, due time, region, customer, SLA cycle) is not copied beside it:
it is the triage decision on the issue (plan.py), which the firing must read from Jira anyway to
see whether the request was answered, and which a copy in Redis could only disagree with after a
recompute. So a pending reminder costs one sorted-set entry (about 100 bytes, see
docs/BENCHMARKS.md), and because the member is fixed by (issue, threshold), cancelling or
replacing an issue's reminders needs no index: ZREM the members of its known thresholds.

Beside the two sets, short-lived keys: the "fired" mark per (issue, cycle, threshold) (SET NX,
written only once the actions are done), a firing lock per member, the "settled" cycle of an
answered request, all with a TTL. Every change of the two sets that must be atomic is one
MULTI or one Lua script.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis

from worker import token_lock

DUE = "psw:reminders:due"
CLAIMED = "psw:reminders:claimed"
MARK_TTL = timedelta(days=30)  # longer than the reconciliation looks back (RECONCILE_OPEN_LOOKBACK_DAYS)
_SEPARATOR = "|"


def member(issue_key: str, code: str) -> str:
    if not isinstance(issue_key, str) or not issue_key or _SEPARATOR in issue_key or " " in issue_key:
        raise ValueError(f"not an issue key: {issue_key!r}")
    return f"{issue_key}{_SEPARATOR}{code}"


def parse_member(text: str | bytes) -> tuple[str, str]:
    """(issue key, threshold code) of a scheduled reminder; ValueError for anything else."""
    if isinstance(text, bytes):
        text = text.decode()
    key, sep, code = text.rpartition(_SEPARATOR) if isinstance(text, str) else ("", "", "")
    if not sep or not key or not code:
        raise ValueError(f"not a scheduled reminder: {text!r} (expected 'ISSUE-1|75')")
    return key, code


def epoch(instant: datetime) -> float:
    if instant.tzinfo is None:
        raise ValueError(f"instant must be timezone-aware, got {instant!r}")
    return round(instant.timestamp(), 3)


# Claim and queue in one step, per member: a member is queued iff this call moved it, so two
# dispatchers running at once (two beats by mistake) never queue one reminder twice, and no
# crash can leave a reminder claimed but never queued. A member still in `due` and due, or in
# `claimed` with its lease run out (its worker died, or its message was lost), is queued and
# (re)leased. LPUSH goes first: it is the one write that can fail (wrong key type), and Redis
# does not roll a script back.
# KEYS: due, claimed, queue. ARGV: now, lease until, then member, message, member, message...
_CLAIM_AND_QUEUE = """
local now = tonumber(ARGV[1])
local fresh, again = 0, 0
for i = 3, #ARGV, 2 do
  local m = ARGV[i]
  local due = redis.call('ZSCORE', KEYS[1], m)
  if due and tonumber(due) <= now then
    redis.call('LPUSH', KEYS[3], ARGV[i + 1])
    redis.call('ZREM', KEYS[1], m)
    redis.call('ZADD', KEYS[2], ARGV[2], m)
    fresh = fresh + 1
  else
    local lease = redis.call('ZSCORE', KEYS[2], m)
    if lease and tonumber(lease) <= now then
      redis.call('LPUSH', KEYS[3], ARGV[i + 1])
      redis.call('ZADD', KEYS[2], ARGV[2], m)
      again = again + 1
    end
  end
end
return {fresh, again}
"""

# KEYS: claimed. ARGV: member, new lease. Renews the lease only of a member still claimed.
_HOLD = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return 1
end
return 0
"""

# KEYS: claimed, due. ARGV: member, due score. Puts a claimed member back on the schedule.
_DEFER = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  return 1
end
return 0
"""

# KEYS: due, claimed. ARGV: score, member, score, member... Adds members that are neither due
# nor claimed (a claimed one is being fired; re-adding it would fire it twice).
_ADD_MISSING = """
local added = {}
for i = 1, #ARGV, 2 do
  local m = ARGV[i + 1]
  if not redis.call('ZSCORE', KEYS[2], m) and redis.call('ZADD', KEYS[1], 'NX', ARGV[i], m) == 1 then
    added[#added + 1] = m
  end
end
return added
"""


@dataclass(frozen=True)
class Claimed:
    fresh: int  # members that fell due
    again: int  # members whose lease ran out


class ReminderStore:
    def __init__(self, client: redis.Redis):
        self.redis = client
        self._claim_and_queue = client.register_script(_CLAIM_AND_QUEUE)
        self._hold = client.register_script(_HOLD)
        self._defer = client.register_script(_DEFER)
        self._add_missing = client.register_script(_ADD_MISSING)
        self._unlock = client.register_script(token_lock.RELEASE)
        self._renew_lock = client.register_script(token_lock.RENEW)

    # -- scheduling ------------------------------------------------------------------------

    def replace(self, issue_key: str, clear: Iterable[str], entries: Mapping[str, datetime]) -> None:
        """Remove the issue's reminders of every code in `clear` (due or claimed) and schedule
        `entries` (code -> due instant), in one transaction."""
        clear_members = [member(issue_key, code) for code in set(clear) | set(entries)]
        pipe = self.redis.pipeline(transaction=True)
        if clear_members:
            pipe.zrem(DUE, *clear_members)
            pipe.zrem(CLAIMED, *clear_members)
        if entries:
            pipe.zadd(DUE, {member(issue_key, code): epoch(at) for code, at in entries.items()})
        pipe.execute()

    def add_missing(self, issue_key: str, entries: Mapping[str, datetime]) -> list[str]:
        """Schedule the entries that are neither due nor claimed; returns the codes added."""
        if not entries:
            return []
        args: list = []
        for code, at in entries.items():
            args += [epoch(at), member(issue_key, code)]
        added = self._add_missing(keys=[DUE, CLAIMED], args=args)
        return [parse_member(m)[1] for m in added]

    def remove(self, issue_key: str, codes: Iterable[str]) -> list[str]:
        """Unschedule the issue's reminders of `codes`; returns the codes that were there."""
        codes = sorted(set(codes))
        if not codes:
            return []
        pipe = self.redis.pipeline(transaction=True)
        for code in codes:
            pipe.zrem(DUE, member(issue_key, code))
            pipe.zrem(CLAIMED, member(issue_key, code))
        removed = pipe.execute()
        return [code for i, code in enumerate(codes) if removed[2 * i] or removed[2 * i + 1]]

    def scheduled(self, issue_key: str, codes: Iterable[str]) -> dict[str, tuple[str, float]]:
        """code -> ("due", due instant) or ("claimed", lease end), for those of `codes` scheduled."""
        codes = sorted(set(codes))
        if not codes:
            return {}
        members = [member(issue_key, code) for code in codes]
        pipe = self.redis.pipeline(transaction=False)
        pipe.zmscore(DUE, members)
        pipe.zmscore(CLAIMED, members)
        due, claimed = pipe.execute()
        found: dict[str, tuple[str, float]] = {}
        for code, d, c in zip(codes, due, claimed):
            if c is not None:
                found[code] = ("claimed", c)
            elif d is not None:
                found[code] = ("due", d)
        return found

    # -- dispatching -----------------------------------------------------------------------

    def peek(self, now: datetime, limit: int) -> tuple[list[tuple[str, float]], list[str]]:
        """Up to `limit` due members (oldest first, with their due instants) and up to `limit`
        claimed ones whose lease ran out. Only a look: claim_and_queue decides, atomically."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zrangebyscore(DUE, "-inf", epoch(now), start=0, num=limit, withscores=True)
        pipe.zrangebyscore(CLAIMED, "-inf", epoch(now), start=0, num=limit)
        due, lapsed = pipe.execute()
        return [(m.decode(), s) for m, s in due], [m.decode() for m in lapsed]

    def claim_and_queue(self, now: datetime, lease_until: datetime, queue: str,
                        messages: Mapping[str, bytes]) -> Claimed:
        args: list = [epoch(now), epoch(lease_until)]
        for name, message in messages.items():
            args += [name, message]
        fresh, again = self._claim_and_queue(keys=[DUE, CLAIMED, queue], args=args)
        return Claimed(int(fresh), int(again))

    def counts(self, now: datetime) -> dict[str, int]:
        """Reminders by state at `now`: scheduled (due later), due (due, not yet claimed),
        claimed (lease running), lapsed (claimed, lease ran out: handed out again next tick)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zcard(DUE)
        pipe.zcount(DUE, "-inf", epoch(now))
        pipe.zcard(CLAIMED)
        pipe.zcount(CLAIMED, "-inf", epoch(now))
        waiting, due, claimed, lapsed = pipe.execute()
        return {"scheduled": waiting - due, "due": due, "claimed": claimed - lapsed, "lapsed": lapsed}

    # -- firing ----------------------------------------------------------------------------

    def hold(self, name: str, lease_until: datetime) -> bool:
        """Renew the lease of a claimed member; False when it is no longer claimed (cancelled,
        replaced, or already fired by someone else)."""
        return bool(self._hold(keys=[CLAIMED], args=[name, epoch(lease_until)]))

    def release(self, name: str) -> bool:
        return bool(self.redis.zrem(CLAIMED, name))

    def defer(self, name: str, due: datetime) -> bool:
        """Put a claimed member back on the schedule, due at `due`."""
        return bool(self._defer(keys=[CLAIMED, DUE], args=[name, epoch(due)]))

    def lock(self, name: str, ttl: timedelta) -> str | None:
        token = uuid.uuid4().hex
        ok = self.redis.set(f"psw:reminders:lock:{name}", token, nx=True, px=int(ttl.total_seconds() * 1000))
        return token if ok else None

    def renew_lock(self, name: str, token: str, ttl: timedelta) -> bool:
        return bool(self._renew_lock(keys=[f"psw:reminders:lock:{name}"],
                                     args=[token, int(ttl.total_seconds() * 1000)]))

    def unlock(self, name: str, token: str) -> None:
        self._unlock(keys=[f"psw:reminders:lock:{name}"], args=[token])

    # -- marks -----------------------------------------------------------------------------

    @staticmethod
    def _fired_key(issue_key: str, cycle: int, code: str) -> str:
        return f"psw:reminders:fired:{issue_key}:{cycle}:{code}"

    def mark_fired(self, issue_key: str, cycle: int, code: str) -> bool:
        """Record the threshold as fired; False if it already was."""
        return bool(self.redis.set(self._fired_key(issue_key, cycle, code), "1", nx=True, ex=MARK_TTL))

    def fired_codes(self, issue_key: str, cycle: int, codes: Iterable[str]) -> set[str]:
        codes = sorted(set(codes))
        if not codes:
            return set()
        found = self.redis.mget([self._fired_key(issue_key, cycle, code) for code in codes])
        return {code for code, value in zip(codes, found) if value is not None}

    def settle(self, issue_key: str, cycle: int) -> None:
        """Remember that the request's `cycle` got its first response (or was resolved)."""
        self.redis.set(f"psw:reminders:settled:{issue_key}", str(cycle), ex=MARK_TTL)

    def settled_cycle(self, issue_key: str) -> int | None:
        raw = self.redis.get(f"psw:reminders:settled:{issue_key}")
        return int(raw) if raw is not None else None
