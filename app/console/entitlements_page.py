"""The entitlements page: the running config's entitlement records, searched by SEN or customer,
each with its open requests from the board's index (worker/open_requests.py).

A file source is read as the worker reads it (worker/entitlement/sources.py FileSource: re-read
when the file changes, the last good records kept through a broken edit). JSM Assets cannot be
listed from here: it is searched by SEN only, one lookup (a Jira call) per search."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from app.console import board
from worker.config.models import MappingConfig
from worker.entitlement.sources import FileSource, source_from_config
from worker.policy.entitlement import Entitlement, customer_zone, normalise_sen

QUERY_CHARS = 100
SHOWN = 100
OPEN_SHOWN = 10  # per record, the most urgent; the board filtered by the customer has them all


class SearchRefused(ValueError):
    """A search the page cannot run; the message says why."""


@dataclass
class Found:
    record: Entitlement
    zone: str
    open: list[tuple[str, dict[str, Any]]]  # (board state, row), the OPEN_SHOWN most urgent
    open_total: int = 0


@dataclass
class EntitlementsView:
    query: str
    source: str  # in words
    found: list[Found] = field(default_factory=list)
    total: int = 0  # records in the source (None-like 0 for Assets: not listable)
    matched: int = 0
    note: str = ""


def parse_query(raw: str) -> str:
    query = raw.strip()
    if len(query) > QUERY_CHARS:
        raise SearchRefused(f"search: at most {QUERY_CHARS} characters (a SEN or a part of a customer's name)")
    if not query.isprintable():
        raise SearchRefused("search: only printable characters (a SEN such as SEN-12345678, or a customer's name)")
    return query


def _file_source(cache: dict, config: MappingConfig) -> FileSource:
    path = config.resolve(config.entitlement.path)
    key = (str(path), frozenset(config.regions))
    if key not in cache:
        cache.clear()  # one source at a time: the running config's
        cache[key] = FileSource(path, config.regions)
    return cache[key]


def _matches(records: dict[str, Entitlement], query: str) -> list[Entitlement]:
    sen = normalise_sen(query) if query else None
    if sen in records:
        return [records[sen]]
    # Not a SEN of the records: a part of a customer's name or of a SEN (digits a person remembers).
    folded = query.casefold()
    return [r for r in records.values() if folded in r.customer.casefold() or folded in r.sen.casefold()]


def load(cache: dict, config: MappingConfig, settings, query: str, rows, responded, now: float) -> EntitlementsView:
    """`cache` keeps the file source between pages (its records are re-read only when the file changes).
    EntitlementSourceUnavailable when the source cannot answer."""
    spec = config.entitlement
    if spec.source == "file":
        records = _file_source(cache, config).records()
        view = EntitlementsView(query, f"the file {config.resolve(spec.path)}", total=len(records))
        matched = _matches(records, query)
    else:
        view = EntitlementsView(query, "JSM Assets (searched by SEN, one lookup per search)")
        sen = normalise_sen(query) if query else None
        if sen is None:
            view.note = ("The entitlement source is JSM Assets, which the console does not list: search by SEN "
                         "(such as SEN-12345678).")
            return view
        key = ("assets", config.version)  # a new config may name another query
        if key not in cache:
            cache.clear()
            cache[key] = source_from_config(config, settings)
        found = cache[key].lookup(sen)
        matched = [found] if found else []
    if query and not matched:
        sen = normalise_sen(query)
        view.note = (f"{sen} is not in the entitlement records." if sen else
                     f"No SEN or customer name contains {query!r}.")
    open_by_sen: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for row in rows:
        open_by_sen[row["sen"]].append((board.state_of(row, responded.get(row["key"]), now), row))
    matched.sort(key=lambda r: (r.customer.casefold(), r.sen))
    view.matched = len(matched)
    for r in matched[:SHOWN]:
        requests = sorted(open_by_sen.get(r.sen, []), key=board._urgency)
        view.found.append(Found(r, customer_zone(r, config), requests[:OPEN_SHOWN], len(requests)))
    return view
