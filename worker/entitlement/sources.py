"""Where entitlement records come from, behind one small interface.

A source answers `lookup(sen)` with the record, or None when it does not know the SEN. When it
cannot answer (file unreadable, Assets down), it raises EntitlementSourceUnavailable and the
triage retries: a request is never marked not entitled because a source was down.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from worker import clock
from worker.config.loader import ConfigError
from worker.config.models import MappingConfig
from worker.entitlement.files import Records, load_entitlements
from worker.policy.entitlement import Entitlement, normalise_sen
from worker.service_errors import ServiceError
from worker.settings import Settings

log = logging.getLogger(__name__)


class EntitlementSourceUnavailable(ServiceError):
    """The source cannot answer now; retry later. The message never contains credentials.

    `retry_after` (seconds) is set when the source said how long to wait (a 429 from Assets).
    """

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class EntitlementSource(Protocol):
    def lookup(self, sen: str) -> Entitlement | None:
        """The record for `sen` (any accepted SEN form), or None when the source does not know it."""


def _normal(sen: str) -> str:
    normal = normalise_sen(sen)
    if normal is None:
        raise ValueError(f"{sen!r} is not a SEN such as SEN-12345678")
    return normal


class FileSource:
    """Records from a YAML or CSV file, re-read when the file changes.

    An edit that breaks the file is logged and the last good records keep answering, as with the
    mapping config; only a file that was never readable makes the source unavailable.
    """

    def __init__(self, path: str | Path, known_regions: Collection[str] | None = None,
                 named_at: str | None = None) -> None:
        self.path = Path(path)
        self.named_at = named_at  # the mapping config's file:line that names this file
        self.known_regions = None if known_regions is None else frozenset(known_regions)
        self._records: Records | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def lookup(self, sen: str) -> Entitlement | None:
        return self.records().get(_normal(sen))

    def records(self) -> Records:
        with self._lock:
            try:
                stat = self.path.stat()
                stamp = (stat.st_mtime_ns, stat.st_size)
            except OSError as exc:
                stamp, problem = None, f"cannot read {self.path}: {exc.strerror}"
                if self.named_at:
                    problem += f" (named at {self.named_at})"
            else:
                if stamp == self._stamp and self._records is not None:
                    return self._records
                try:
                    self._records, problem = load_entitlements(self.path, self.known_regions), None
                except ConfigError as exc:
                    problem = str(exc)
                self._stamp = stamp
            if problem is None:
                return self._records
            if self._records is None:
                raise EntitlementSourceUnavailable(problem)
            log.error("entitlement file has problems; keeping the last good records:\n%s", problem)
            return self._records


class CachedSource:
    """Remembers answers (including "unknown SEN") for `ttl`; an unavailable source is not cached."""

    def __init__(self, inner: EntitlementSource, ttl: timedelta, max_entries: int = 10_000) -> None:
        self.inner = inner
        self.ttl = ttl
        self.max_entries = max_entries
        self._cache: dict[str, tuple[datetime, Entitlement | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, sen: str) -> Entitlement | None:
        key = _normal(sen)
        now = clock.now()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        record = self.inner.lookup(key)
        with self._lock:
            if len(self._cache) >= self.max_entries:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                while len(self._cache) >= self.max_entries:
                    self._cache.pop(next(iter(self._cache)))
            self._cache[key] = (now + self.ttl, record)
        return record

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def source_from_config(config: MappingConfig, settings: Settings | None = None) -> EntitlementSource:
    """The source the config names, cached for its `cache_ttl` (0 turns the cache off)."""
    spec = config.entitlement
    regions = frozenset(config.regions)
    if spec.source == "file":
        line = config.lines.get(("entitlement", "path"))
        named_at = f"{config.source}:{line}: entitlement.path" if config.source and line else None
        source: EntitlementSource = FileSource(config.resolve(spec.path), regions, named_at)
    else:
        if settings is None or settings.jira is None:
            raise ValueError("the assets entitlement source needs a Jira site (JIRA_URL and its credentials)")
        from worker.jira.assets import AssetsSource

        source = AssetsSource(settings.jira, spec.aql, spec.attributes, regions, list_aql=spec.list_aql)
    return CachedSource(source, spec.cache_ttl) if spec.cache_ttl > timedelta(0) else source


def fresh(source: EntitlementSource) -> EntitlementSource:
    """`source` without its cache: a re-triage is asked for because a record changed, and must
    not be answered from before the change."""
    return source.inner if isinstance(source, CachedSource) else source
