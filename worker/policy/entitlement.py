"""Who gets Priority Support (docs/POLICY.md section 4). Pure: the record is looked up by the caller.

Every failing rule is reported, each with a reason code and a sentence an agent can read, not
just the first: an agent fixing a request wants the whole list at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator, model_validator

from worker.config.models import MappingConfig, check_holiday_calendar
from worker.config.values import ZoneName
from worker.policy.facts import RequestFacts
from worker.bodies import shorten
from worker.policy.language import LANGUAGE_NAMES, identify
from worker.policy.vocabulary import canonical_product, normalise_sen, request_type_listed


class ReasonCode(StrEnum):
    SEN_MISSING = "SEN_MISSING"
    SEN_UNKNOWN = "SEN_UNKNOWN"
    NOT_PRIORITY = "NOT_PRIORITY"
    MAINTENANCE_EXPIRED = "MAINTENANCE_EXPIRED"
    PRODUCT_NOT_COVERED = "PRODUCT_NOT_COVERED"
    REPORTER_NOT_ADMIN = "REPORTER_NOT_ADMIN"
    UNSUPPORTED_RELEASE = "UNSUPPORTED_RELEASE"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    detail: str


def _sen(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # bare digits, unquoted in YAML or a number cell
    normal = normalise_sen(value) if isinstance(value, str) else None
    if normal is None:
        raise ValueError(f"{value!r} is not a SEN such as SEN-12345678")
    return normal


def _deployment(value: Any) -> str:
    key = re.sub(r"[\s_-]", "", str(value)).casefold()
    found = {"datacenter": "data-center", "dc": "data-center", "server": "server", "cloud": "cloud"}.get(key)
    if found is None:
        raise ValueError(f"unknown deployment {value!r} (expected data-center, server or cloud)")
    return found


def _names(value: Any) -> Any:
    """Lists may come as one text separated by ';' or ',' (CSV cells, Assets text attributes)."""
    if isinstance(value, str):
        return tuple(part.strip() for part in re.split(r"[;,]", value) if part.strip())
    return value


class Entitlement(BaseModel):
    """One SEN's entitlement record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sen: Annotated[str, BeforeValidator(_sen)]
    customer: str
    region: str
    deployment: Annotated[str, BeforeValidator(_deployment)]
    products: Annotated[tuple[str, ...], BeforeValidator(_names)]
    users: int | None = None
    remote_agents: int | None = None
    maintenance_end: date
    priority_purchased: bool = False
    admins: Annotated[tuple[str, ...], BeforeValidator(_names)] = ()  # emails, account ids, user names
    time_zone: ZoneName | None = None  # overrides the region's zone for this customer
    # The customer's own public holidays (python-holidays codes), instead of the region's: a New
    # York customer of AMER is not closed on a California holiday.
    holiday_country: str | None = None
    holiday_subdivision: str | None = None

    @field_validator("region")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @model_validator(mode="after")
    def _holidays(self) -> "Entitlement":
        if self.holiday_subdivision is not None and self.holiday_country is None:
            raise ValueError("holiday_subdivision needs holiday_country beside it (e.g. US and NY)")
        if self.holiday_country is not None:
            check_holiday_calendar(self.holiday_country, self.holiday_subdivision)
        return self

    @property
    def holidays(self) -> tuple[str, str | None] | None:
        """The customer's own holiday calendar (country, subdivision), or None for the region's."""
        return (self.holiday_country, self.holiday_subdivision) if self.holiday_country else None

    def has_product(self, product: str) -> bool:
        return product.casefold() in {p.casefold() for p in self.products}


def customer_zone(record: Entitlement | None, config: MappingConfig) -> str:
    """The customer's time zone: the record's own, else its region's, else UTC."""
    if record is None:
        return "UTC"
    if record.time_zone:
        return record.time_zone
    region = config.regions.get(record.region)
    return region.zone if region else "UTC"


def check_entitlement(facts: RequestFacts, record: Entitlement | None, config: MappingConfig) -> list[Reason]:
    """Every failing rule, in docs/POLICY.md's order; an empty list means entitled.

    `record` is the entitlement source's answer for the request's normalised SEN (None when the
    source does not know it). `facts.created` is required: maintenance and End of Life are judged
    at the request's creation, not at the time of the triage.
    """
    if facts.created is None:
        raise ValueError(f"{facts.issue_key}: cannot check entitlement without the creation time")
    reasons: list[Reason] = []
    sen = normalise_sen(facts.sen)
    if not facts.sen:
        reasons.append(Reason(ReasonCode.SEN_MISSING, "the request does not give a SEN (Support Entitlement Number)"))
    elif sen is None:
        reasons.append(Reason(ReasonCode.SEN_UNKNOWN, f"{facts.sen!r} is not a SEN; a SEN looks like SEN-12345678"))
    elif record is None:
        reasons.append(Reason(ReasonCode.SEN_UNKNOWN, f"{sen} is not in the entitlement records"))
    elif record.sen != sen:
        raise ValueError(f"{facts.issue_key}: record for {record.sen} given for {sen}")
    product = _product(facts, record, config)
    if record is not None:
        reasons += _priority(record, product, config)
        reasons += _maintenance(facts, record, config)
    reasons += _product_covered(facts, record, product, config)
    if record is not None:
        reasons += _reporter_admin(facts, record)
    reasons += _release(facts, product, config)
    reasons += _scope(facts, config)
    return reasons


def _product(facts: RequestFacts, record: Entitlement | None, config: MappingConfig) -> str | None:
    """The product the request is about (by any of its names, worker/policy/vocabulary.py); when
    it names none, a single-product SEN's product."""
    if facts.product:
        return canonical_product(facts.product, config)
    if record is not None and len(record.products) == 1:
        return canonical_product(record.products[0], config)
    return None


def _on_record(record: Entitlement, product: str, config: MappingConfig) -> bool:
    return any(canonical_product(p, config).casefold() == product.casefold() for p in record.products)


def _canonical(product: str, names: Any) -> str | None:
    return next((name for name in names if name.casefold() == product.casefold()), None)


def _priority(record: Entitlement, product: str | None, config: MappingConfig) -> list[Reason]:
    if record.priority_purchased:
        return []
    rules = config.products
    if record.deployment not in rules.bundled_deployments:
        why = (f"Priority Support was not purchased for {record.sen}, and it is bundled only with "
               f"{' or '.join(rules.bundled_deployments)} licences (this one is {record.deployment})")
        return [Reason(ReasonCode.NOT_PRIORITY, why)]
    candidates = ([product] if product and _on_record(record, product, config)
                  else [canonical_product(p, config) for p in record.products])
    shortfalls = []
    for name in candidates:
        bundled = _canonical(name, rules.bundled)
        rule = rules.bundled.get(bundled) if bundled else None
        if rule is None:
            shortfalls.append(f"it is not bundled with {name}")
        elif rule.min_users is not None and (record.users or 0) < rule.min_users:
            shortfalls.append(f"{name} bundles it only from {rule.min_users} users (this licence: {record.users or 0})")
        elif rule.min_remote_agents is not None and (record.remote_agents or 0) < rule.min_remote_agents:
            shortfalls.append(f"{name} bundles it only from {rule.min_remote_agents} remote agents "
                              f"(this licence: {record.remote_agents or 0})")
        else:
            return []
    why = f"Priority Support was not purchased for {record.sen}, and " + ("; ".join(shortfalls) or "it has no products")
    return [Reason(ReasonCode.NOT_PRIORITY, why)]


def _maintenance(facts: RequestFacts, record: Entitlement, config: MappingConfig) -> list[Reason]:
    created_local = facts.created.astimezone(ZoneInfo(customer_zone(record, config))).date()
    if record.maintenance_end < created_local:
        return [Reason(ReasonCode.MAINTENANCE_EXPIRED,
                       f"maintenance for {record.sen} ended on {record.maintenance_end.isoformat()}, "
                       f"before the request was created ({created_local.isoformat()})")]
    return []


def _product_covered(facts: RequestFacts, record: Entitlement | None, product: str | None,
                     config: MappingConfig) -> list[Reason]:
    if product is None:
        if record is None:
            return []  # nothing to judge yet; SEN_MISSING / SEN_UNKNOWN already explain the request
        return [Reason(ReasonCode.PRODUCT_NOT_COVERED,
                       f"the request does not say which product it is about, and {record.sen} covers "
                       f"{', '.join(record.products) or 'no products'}")]
    problems = []
    if _canonical(product, config.products.covered) is None:
        problems.append(f"{product} is not a product Priority Support covers")
    if record is not None and not _on_record(record, product, config):
        problems.append(f"{product} is not on {record.sen} ({', '.join(record.products) or 'no products'})")
    return [Reason(ReasonCode.PRODUCT_NOT_COVERED, "; ".join(problems))] if problems else []


def _reporter_admin(facts: RequestFacts, record: Entitlement) -> list[Reason]:
    admins = {admin.casefold() for admin in record.admins}
    if facts.reporter is not None and facts.reporter.identities() & admins:
        return []
    who = str(facts.reporter) if facts.reporter else "the reporter (unknown)"
    return [Reason(ReasonCode.REPORTER_NOT_ADMIN, f"{who} is not an admin contact of {record.sen}")]


_VERSION = re.compile(r"\s*v?(\d+)\.(\d+)")


def _release(facts: RequestFacts, product: str | None, config: MappingConfig) -> list[Reason]:
    version = facts.version
    if not version:
        return []
    releases = config.releases
    for pattern in releases.pre_release_patterns:
        if re.search(pattern, version):
            return [Reason(ReasonCode.UNSUPPORTED_RELEASE,
                           f"version {version} is a Beta, Release Candidate or Development release")]
    match = _VERSION.match(version)
    table_name = _canonical(product, releases.end_of_life) if product else None
    if not match or table_name is None:
        return []
    feature = (int(match[1]), int(match[2]))
    table = {tuple(int(p) for p in key.split(".")): (key, eol) for key, eol in releases.end_of_life[table_name].items()}
    created = facts.created.date()
    if feature in table:
        key, eol = table[feature]
        if eol < created:
            return [Reason(ReasonCode.UNSUPPORTED_RELEASE,
                           f"{table_name} {key} reached End of Life on {eol.isoformat()} (version {version})")]
        return []
    if table and feature < min(table):
        oldest = table[min(table)][0]
        return [Reason(ReasonCode.UNSUPPORTED_RELEASE,
                       f"{table_name} {version} is older than {oldest}, the oldest release still tracked, so End of Life")]
    return []


def _scope(facts: RequestFacts, config: MappingConfig) -> list[Reason]:
    found: dict[str, str] = {}
    for rule in config.out_of_scope.rules:
        why = _rule_matches(rule, facts)
        if why:
            found.setdefault(rule.category, why)
    if not found:
        return []
    words = config.out_of_scope.categories
    detail = "; ".join(f"{why} means {words[category]}" for category, why in found.items())
    return [Reason(ReasonCode.OUT_OF_SCOPE, f"{detail}, which Priority Support does not include")]


def _rule_matches(rule, facts: RequestFacts) -> str | None:
    """Why `rule` matches the request, in words; None when it does not."""
    if rule.request_types and request_type_listed(facts.request_type_name, facts.request_type_id, rule.request_types):
        return f"the request type {facts.request_type_name or facts.request_type_id!r}"
    value = facts.extra_fields.get(rule.field) if rule.field else None
    if value and value.casefold() in {v.casefold() for v in rule.values}:
        return f"{rule.field} is {value!r}"
    for fact in rule.search:
        text = getattr(facts, fact)
        found = next((m for p in rule.patterns if text and (m := re.search(p, text))), None)
        if found:
            return f"the {fact} says {shorten(found[0], 60)!r}"
    if rule.language is not None:
        return _other_language(rule.language, facts)
    return None


def _other_language(rule, facts: RequestFacts) -> str | None:
    guess = identify(facts.summary, facts.description, supported=rule.supported)
    if (guess is None or guess.language in rule.supported or guess.confidence < rule.min_confidence
            or guess.letters < rule.min_letters):
        return None
    name = LANGUAGE_NAMES.get(guess.language, guess.language)
    served = " or ".join(LANGUAGE_NAMES.get(code, code) for code in rule.supported)
    return f"the request is written in {name}, not {served} (confidence {guess.confidence:.2f})"
