"""The running mapping config: reloaded when its file changes, never replaced by a broken one.

Each process (web and worker) holds one `LiveConfig`. `current()` reads the file at most every
`check_interval` seconds and parses it only when its bytes changed; a valid edit takes
over, an invalid one is logged with file and line, kept in `problems` for /admin/config and the
`psw_config_errors` metric (read from `problems` at scrape time, app/ops.py), and the last good
config goes on running.

Every version that takes over in any process is noted in Redis (`versions_seen`: when it first
and last took over), for the console's config page.

Restarts (gunicorn's workers and a supervised Celery worker restart on SIGHUP) must not lose the last good
config either: every config that took over is kept in Redis, and a process that starts while the
file is broken runs that one.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path

import redis

from worker import clock
from worker.config.loader import ConfigError, ConfigProblem, parse_config
from worker.config.models import MappingConfig
from worker.service_errors import ServiceError

log = logging.getLogger(__name__)

LAST_GOOD_KEY = "psw:config:last-good"
VERSIONS_KEY = "psw:config:versions"  # sorted set: version -> when it last took over in a process
FIRST_SEEN_KEY = "psw:config:versions:first"  # hash: version -> when it first took over
DECIDED_KEY = "psw:config:versions:decided"  # hash: version -> triage decisions made under it (worker/recent_decisions.py)
VERSIONS_KEPT = 50


class NoUsableConfig(ServiceError, RuntimeError):
    """The file is broken and no earlier good config is known: nothing safe to run."""

    def __init__(self, message: str, problems: list[ConfigProblem] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class LiveConfig:
    def __init__(self, path: Path, client: redis.Redis | None = None, check_interval: float = 2.0):
        self.path = Path(path)
        self.redis = client
        self.check_interval = check_interval
        self.problems: list[ConfigProblem] = []
        self._config: MappingConfig | None = None
        self._stamp: bytes | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self.reload()
        if self._config is None:
            self._config = self._last_good()

    def current(self) -> MappingConfig:
        if time.monotonic() - self._checked_at >= self.check_interval:
            self.reload()
        return self._config

    def reload(self, force: bool = False) -> bool:
        """Take the file's config if it changed and is valid; True when a new version took over."""
        with self._lock:
            self._checked_at = time.monotonic()
            try:
                raw = self.path.read_bytes()
            except OSError as exc:
                self._fail([ConfigProblem(str(self.path), None, "", f"cannot read the file: {exc}")])
                return False
            # The content, not the mtime: two saves within one clock tick keep the same mtime.
            stamp = hashlib.sha256(raw).digest()
            if stamp == self._stamp and not force:
                return False
            self._stamp = stamp
            text = raw.decode("utf-8", errors="replace")
            try:
                config = parse_config(text, name=str(self.path), source=self.path)
            except ConfigError as exc:
                self._fail(exc.problems)
                return False
            changed = self._config is None or config.version != self._config.version
            self._config, self.problems = config, []
            if changed:
                log.info("mapping config %s version %s in use", self.path, config.version)
                self._remember(text, config.version)
            return changed

    def _fail(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        running = self._config.version if self._config else "none"
        for problem in problems:
            log.error("mapping config not reloaded (still running %s): %s", running, problem)

    def _remember(self, text: str, version: str) -> None:
        if self.redis is None:
            return
        now = clock.now().timestamp()
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.hset(LAST_GOOD_KEY, mapping={"path": str(self.path), "text": text})
            pipe.hsetnx(FIRST_SEEN_KEY, version, repr(now))
            pipe.zadd(VERSIONS_KEY, {version: now})
            pipe.zrange(VERSIONS_KEY, 0, -(VERSIONS_KEPT + 1))
            forgotten = pipe.execute()[-1]
            if forgotten:
                pipe.zrem(VERSIONS_KEY, *forgotten)
                pipe.hdel(FIRST_SEEN_KEY, *forgotten)
                pipe.hdel(DECIDED_KEY, *forgotten)
                pipe.execute()
        except redis.RedisError as exc:
            log.warning("could not keep the last good config in Redis: %s", type(exc).__name__)

    def _last_good(self) -> MappingConfig:
        saved = None
        if self.redis is not None:
            try:
                saved = self.redis.hgetall(LAST_GOOD_KEY)
            except redis.RedisError:
                saved = None
        if not saved:
            raise NoUsableConfig(
                f"{self.path} is not a usable mapping config and no earlier good one is known:\n"
                + "\n".join(str(p) for p in self.problems), self.problems)
        config = parse_config(saved[b"text"].decode(), name=f"{self.path} (last good, from Redis)",
                              source=self.path)
        log.error("running the last good mapping config, version %s, until %s is fixed",
                  config.version, self.path)
        return config


def versions_seen(client: redis.Redis) -> list[tuple[str, float, float, int]]:
    """(version, first took over, last took over, triage decisions made under it) of the versions
    any process ran, the latest first."""
    pipe = client.pipeline(transaction=False)
    pipe.zrevrange(VERSIONS_KEY, 0, -1, withscores=True)
    pipe.hgetall(FIRST_SEEN_KEY)
    pipe.hgetall(DECIDED_KEY)
    last, first, decided = pipe.execute()
    return [(v.decode(), float(first.get(v, at)), at, int(decided.get(v, 0))) for v, at in last]
