"""The Lua of a lock held by a token (`SET key token NX PX`): only its holder may stretch or drop it.

Shared by the issue lock of a triage (worker/triage_guard.py) and a reminder's firing lock
(worker/reminders/store.py). KEYS: the lock. ARGV: the token (and, to renew, the lease in ms).
"""

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
