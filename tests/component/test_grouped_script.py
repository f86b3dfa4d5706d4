"""worker/grouped_script.py on a real Redis: callers arriving together share round trips, and each
still gets its own script's answer or error."""
from __future__ import annotations

import threading

import pytest
import redis

from worker.embedded_redis import free_port
from worker.grouped_script import GroupedScript

# Counts its runs and answers its argument; a second argument makes it busy for a while, so the
# callers arriving meanwhile are sent together in the next round trip.
ECHO = """
redis.call('INCR', KEYS[1])
if ARGV[2] then
  local n = 0
  for i = 1, tonumber(ARGV[2]) do n = n + i end
end
return ARGV[1]
"""


def run_together(script: GroupedScript, calls: list[tuple[list, list]], hold_first: bool = True) -> list:
    """Each call in a thread of its own, started while the first one is still running in Redis."""
    outcomes: list = [None] * len(calls)

    def one(index: int, keys: list, args: list) -> None:
        try:
            outcomes[index] = script(keys=keys, args=args)
        except redis.RedisError as exc:
            outcomes[index] = exc

    first = threading.Thread(target=one, args=(0, ["runs"], ["first", 3_000_000 if hold_first else 1]))
    first.start()
    rest = [threading.Thread(target=one, args=(i, *call)) for i, call in enumerate(calls) if i > 0]
    for thread in rest:
        thread.start()
    for thread in [first, *rest]:
        thread.join(30)
    return outcomes


def test_every_caller_gets_its_own_answer_and_every_script_runs_once(redis_client):
    script = GroupedScript(redis_client, ECHO)
    calls = [(["runs"], [f"caller-{i}"]) for i in range(40)]
    redis_client.client_pause(1500)  # the first call waits in Redis while the others arrive
    outcomes = run_together(script, calls, hold_first=False)
    assert outcomes == [b"first"] + [f"caller-{i}".encode() for i in range(1, 40)]
    assert int(redis_client.get("runs")) == 40
    assert script.round_trips <= 3  # the 39 that came while the first waited went together


def test_one_callers_error_is_its_own(redis_client):
    redis_client.set("not-a-number", "x")  # INCR fails on it
    calls = [(["runs"], ["first"]), (["runs"], ["a"]), (["not-a-number"], ["b"]), (["runs"], ["c"])]
    outcomes = run_together(GroupedScript(redis_client, ECHO), calls)
    assert outcomes[:2] == [b"first", b"a"] and outcomes[3] == b"c"
    assert isinstance(outcomes[2], redis.ResponseError) and "not an integer" in str(outcomes[2])
    assert int(redis_client.get("runs")) == 3


def test_a_script_redis_lost_is_loaded_again(redis_client):
    script = GroupedScript(redis_client, ECHO)
    assert script(keys=["runs"], args=["alone"]) == b"alone"
    redis_client.script_flush()
    assert script(keys=["runs"], args=["alone again"]) == b"alone again"
    redis_client.script_flush()
    outcomes = run_together(script, [(["runs"], ["first"])] + [(["runs"], [f"c{i}"]) for i in range(1, 6)])
    assert outcomes == [b"first", b"c1", b"c2", b"c3", b"c4", b"c5"]
    assert int(redis_client.get("runs")) == 8


def test_a_connection_redis_closed_is_opened_again(redis_client):
    script = GroupedScript(redis_client, ECHO)
    assert script(keys=["runs"], args=["one"]) == b"one"
    for client in redis_client.client_list():
        if client["cmd"] in ("evalsha", "eval"):
            redis_client.client_kill_filter(_id=client["id"])
    assert script(keys=["runs"], args=["two"]) == b"two"


def test_redis_down_is_a_connection_error_for_the_caller():
    down = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2,
                       retry_on_error=[], retry=None)
    with pytest.raises(redis.ConnectionError):
        GroupedScript(down, ECHO)(keys=["runs"], args=["x"])
