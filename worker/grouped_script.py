"""One Lua script, called by many at once, sent in one round trip.

Why: the intake's claim-and-queue script is the web process's one Redis call per webhook, and
its round trip (a write to the socket, a wait, a read) costs a web worker more CPU than the rest
of the intake together. Under load a web worker holds many webhooks at once (gevent: a greenlet
per connection). While one call is on the wire the others wait here, and the next round trip
carries all of them in one pipeline (group commit). Each script still runs alone and atomically
in Redis, and each caller gets its own script's answer or error: grouping changes how many
writes reach the socket, never what a script does or whether its caller hears of it. When
nothing else is waiting, a call goes out at once, alone, as a plain EVALSHA.

Works with threads and with gevent's patched threading alike: the caller that finds no round
trip in flight leads one; a leader that finds callers waiting after its own round trip hands
the lead to the first of them.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import redis
from hiredis import pack_command  # C; redis-py's own packer encodes each argument in Python
from redis.exceptions import NoScriptError


def _wire(value):
    """An argument as redis-py would send it: floats by repr (hiredis would round them)."""
    return repr(value) if isinstance(value, float) else value


class _Call:
    __slots__ = ("keys", "args", "wake", "finished", "result", "error")

    def __init__(self, keys: Sequence, args: Sequence):
        self.keys, self.args = keys, args
        self.wake = threading.Event()  # set when finished, or when the lead is handed to this call
        self.finished = False
        self.result = None
        self.error: BaseException | None = None


class GroupedScript:
    def __init__(self, client: redis.Redis, source: str):
        self._pool = client.connection_pool
        self._script = client.register_script(source)  # its sha, and SCRIPT LOAD when Redis lost it
        self._lock = threading.Lock()
        self._waiting: list[_Call] = []
        self._leading = False
        # One round trip at a time is in flight (the lead), so one connection serves them all,
        # held here rather than taken from the pool per call: the pool's per-call bookkeeping
        # and its poll of the socket cost more than the call under gevent.
        self._connection: redis.connection.AbstractConnection | None = None
        self._pid = 0
        self.round_trips = 0  # how many writes carried the calls so far (fewer than calls: grouped)

    def __call__(self, keys: Sequence, args: Sequence):
        call = _Call(keys, args)
        with self._lock:
            self._waiting.append(call)
            lead = not self._leading
            self._leading = True
        if not lead:
            call.wake.wait()
        if not call.finished:  # the lead is ours, now or handed over
            self._lead()
        if call.error is not None:
            raise call.error
        return call.result

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            self._run(batch)
        except BaseException as exc:
            # Interrupted (a timeout thrown into this greenlet, say): the others in the batch hear
            # of it as a failed Redis call, which they answer as such (503, Jira retries).
            for call in batch:
                if not call.finished:
                    call.error = redis.ConnectionError(f"the grouped script call was interrupted: {type(exc).__name__}")
                    call.finished = True
            raise
        finally:
            with self._lock:
                following = self._waiting[0] if self._waiting else None
                self._leading = following is not None
            for call in batch:
                call.wake.set()
            if following is not None:
                following.wake.set()

    def _run(self, batch: list[_Call]) -> None:
        pending = batch
        # Sent again: scripts Redis had lost (NOSCRIPT: not run), and a batch whose connection
        # had gone stale (Redis closed it while idle). A script that did run before the
        # connection broke is harmless to run again: it finds its own claim and answers 0.
        for attempt in range(3):
            try:
                outcomes = self._round_trip(pending)
            except redis.ConnectionError as exc:
                if attempt == 0:
                    continue
                outcomes = [exc] * len(pending)
            except Exception as exc:  # a timeout, say: every caller in the batch hears why
                outcomes = [exc] * len(pending)
            lost = []
            for call, outcome in zip(pending, outcomes):
                if isinstance(outcome, NoScriptError):
                    lost.append(call)
                elif isinstance(outcome, Exception):
                    call.error, call.finished = outcome, True
                else:
                    call.result, call.finished = outcome, True
            if not lost:
                return
            try:
                self._script.sha = self._load()
            except Exception as exc:
                for call in lost:
                    call.error, call.finished = exc, True
                return
            pending = lost
        for call in pending:
            if not call.finished:
                call.error, call.finished = NoScriptError("Redis kept losing the script"), True

    def _round_trip(self, calls: list[_Call]) -> list:
        connection = self._connected()
        self.round_trips += 1
        try:
            connection.send_packed_command([b"".join(
                pack_command(("EVALSHA", self._script.sha, len(call.keys), *call.keys, *map(_wire, call.args)))
                for call in calls)])
            outcomes = []
            for _call in calls:
                try:
                    outcomes.append(connection.read_response())
                except redis.ResponseError as exc:  # read whole: the next reply follows it
                    outcomes.append(exc)
            return outcomes
        except BaseException:
            self._disconnect()  # replies may be left on the socket: never read them as the next's
            raise

    def _load(self) -> str:
        connection = self._connected()
        try:
            connection.send_command("SCRIPT", "LOAD", self._script.script)
            sha = connection.read_response()
        except BaseException:
            self._disconnect()
            raise
        return sha if isinstance(sha, str) else sha.decode()

    def _connected(self) -> redis.connection.AbstractConnection:
        if self._connection is None or self._pid != os.getpid():  # a forked child makes its own
            self._connection = self._pool.connection_class(**self._pool.connection_kwargs)
            self._pid = os.getpid()
        # connect() is the connection's own way in (under Sentinel: to the primary Sentinel names
        # now); sending on an unconnected one would open its default host instead. No-op when open.
        self._connection.connect()
        return self._connection

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.disconnect()
