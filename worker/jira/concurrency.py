"""How many Jira calls may be under way at once for a site, across every worker: an adaptive
limit kept in Redis (AIMD, as TCP's congestion window).

Why: Jira Cloud rate-limits per site, not per client. Each worker honouring its own 429s still
lets four workers send four times the calls that earn them; here every worker takes a slot from
one shared count before it calls, and the count's ceiling (the limit) adapts to what the site
takes:
- a 429 (or a 503 with Retry-After) halves the limit (at most once per Retry-After, so a burst of
  429s from one overload is one decrease) and pauses every worker's calls until its Retry-After;
- each call that succeeds raises the limit by 1/limit: one more slot per limit's worth of
  successes, up to JIRA_CONCURRENCY_MAX.
A slot is a lease (`JIRA_TIMEOUT` and a margin), so a worker that dies mid-call frees its slot
when the lease ends. A call that finds every slot taken waits for one at most
JIRA_SLOT_WAIT_SECONDS (polling), then its task is retried later like any 429 (JiraRetryLater).
"""
from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import redis

from worker import clock
from worker.settings import JiraConcurrencySettings

# KEYS: the site's state hash, its slots (sorted set token -> lease end). ARGV: now, token, lease
# end, the ceiling. Answers {1, limit} with a slot, {0, seconds paused} while Jira asked to wait,
# {0, -1} when every slot is taken.
_TAKE = """
local now = tonumber(ARGV[1])
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0')
if paused > now then
  return {0, tostring(paused - now)}
end
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= math.floor(limit) then
  return {0, '-1'}
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return {1, tostring(limit)}
"""

# KEYS as above. ARGV: now, token, outcome ('ok', 'throttled' or 'other'), Retry-After seconds,
# ceiling, floor, decrease factor. Answers the limit after the call.
_GIVE_BACK = """
local now = tonumber(ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
local ceiling, floor = tonumber(ARGV[5]), tonumber(ARGV[6])
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or ARGV[5])
if ARGV[3] == 'ok' then
  limit = math.min(ceiling, limit + 1 / limit)
elseif ARGV[3] == 'throttled' then
  local wait = tonumber(ARGV[4])
  local paused = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0')
  if paused <= now then
    limit = math.max(floor, limit * tonumber(ARGV[7]))
  end
  if now + wait > paused then
    redis.call('HSET', KEYS[1], 'paused_until', tostring(now + wait))
  end
  redis.call('HINCRBY', KEYS[1], 'throttled', 1)
end
redis.call('HSET', KEYS[1], 'limit', tostring(limit))
redis.call('EXPIRE', KEYS[1], 86400)
redis.call('EXPIRE', KEYS[2], 86400)
return tostring(limit)
"""

POLL_SECONDS = 0.05


class Busy(Exception):
    """No slot now: `retry_after` is Jira's remaining pause, or a short wait when slots are full."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


def site_id(url: str) -> str:
    """The site's name in the keys: its host (and port), which is what Jira Cloud limits by."""
    parts = urlsplit(url)
    return (parts.netloc or url).lower()


class SiteConcurrency:
    """The shared limit of one Jira site. `slot()` around each call; `state()` for a look."""

    def __init__(self, client: redis.Redis, site_url: str, settings: JiraConcurrencySettings,
                 lease: float, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self._keys = [f"psw:jira:limit:{site_id(site_url)}", f"psw:jira:slots:{site_id(site_url)}"]
        self._take = client.register_script(_TAKE)
        self._give_back = client.register_script(_GIVE_BACK)
        self._lease = lease
        self._sleep = sleep
        self._redis = client

    def acquire(self) -> str:
        """A slot's token; Busy when Jira asked to pause, or no slot freed up within slot_wait."""
        token = uuid.uuid4().hex
        waited = 0.0
        while True:
            now = clock.now().timestamp()
            got, value = self._take(keys=self._keys, args=[now, token, now + self._lease, self.settings.ceiling])
            seconds = float(value)
            if got:
                return token
            if seconds >= 0:
                # Spread over a second past the pause: the held tasks do not all come back at once.
                raise Busy(f"Jira asked this site's callers to wait {seconds:.1f} s more", seconds + random.random())
            if waited >= self.settings.slot_wait:
                raise Busy(f"all of this site's Jira call slots were taken for {waited:.1f} s",
                           1.0 + random.random() * 2)  # the task comes back soon, spread out
            self._sleep(POLL_SECONDS)
            waited += POLL_SECONDS

    def release(self, token: str, outcome: str, retry_after: float = 0.0) -> float:
        """Give the slot back, telling how the call went ('ok', 'throttled', 'other'); the new limit."""
        s = self.settings
        return float(self._give_back(keys=self._keys, args=[clock.now().timestamp(), token, outcome,
                                                            retry_after, s.ceiling, s.floor, s.decrease]))

    def state(self) -> dict:
        """The limit, slots taken, pause end and 429s counted (for the bench and /admin)."""
        raw = {k.decode(): v.decode() for k, v in self._redis.hgetall(self._keys[0]).items()}
        return {"limit": float(raw.get("limit", self.settings.ceiling)),
                "in_flight": self._redis.zcard(self._keys[1]),
                "paused_until": float(raw.get("paused_until", 0)),
                "throttled": int(raw.get("throttled", 0))}
