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

from worker.config.models import LanguageRule, MappingConfig, OutOfScopeRule, check_holiday_calendar
from worker.config.values import ZoneName
from worker.bodies import shorten
from worker.policy.facts import Reporter, RequestFacts
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
    # Cannot decide (docs/POLICY.md section 4): a fact the rule needs is unreadable or unknown.
    FACT_UNREADABLE = "FACT_UNREADABLE"
    REPORTER_UNVERIFIED = "REPORTER_UNVERIFIED"
    RELEASE_UNJUDGED = "RELEASE_UNJUDGED"


# The codes that say a rule could not be judged, rather than that it failed: they never reject a
# request, they defer it (retried, then marked for a person).
UNDECIDED = frozenset({ReasonCode.FACT_UNREADABLE, ReasonCode.REPORTER_UNVERIFIED, ReasonCode.RELEASE_UNJUDGED})
# The rule each of them kept from being judged (FACT_UNREADABLE may stand before any rule).
BLOCKED_RULE = {ReasonCode.REPORTER_UNVERIFIED: ReasonCode.REPORTER_NOT_ADMIN,
                ReasonCode.RELEASE_UNJUDGED: ReasonCode.UNSUPPORTED_RELEASE}


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    detail: str

    @property
    def decisive(self) -> bool:
        """A rule that failed, as opposed to one that could not be judged."""
        return self.code not in UNDECIDED


# The facts a rule reads, by the name RequestFacts.unreadable uses, and where the config reads them.
FACT_FIELDS = {"sen": "sen", "product": "product", "version": "version", "environment": "environment",
               "severity": "severity", "impact": "impact", "urgency": "urgency", "request_type": "request_type"}


def unreadable(facts: RequestFacts, fact: str, config: MappingConfig, label: str | None = None) -> Reason | None:
    """FACT_UNREADABLE for `fact` when its field holds a value no reader understands, else None."""
    shape = facts.unreadable.get(fact)
    if shape is None:
        return None
    field_id = getattr(config.fields, FACT_FIELDS[fact]) if fact in FACT_FIELDS else fact
    name = label or fact.replace("_", " ")
    where = f"the {name} field ({field_id})" if field_id != fact else f"the {name} field"
    return Reason(ReasonCode.FACT_UNREADABLE, f"{where} holds {shape}, which cannot be read as a value")


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
    if (sen_unreadable := unreadable(facts, "sen", config, "SEN")) is not None:
        reasons.append(sen_unreadable)  # never SEN_MISSING: the field holds something
    elif not facts.sen:
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
        reasons += _reporter_admin(facts, record, config)
    reasons += _release(facts, product, local_date(facts, record, config), config)
    reasons += _scope(facts, config)
    return reasons


def local_date(facts: RequestFacts, record: Entitlement | None, config: MappingConfig) -> date:
    """The request's creation date on the customer's calendar: maintenance and End of Life are
    dates, and one instant must give one date whatever offset the payload wrote it in."""
    return facts.created.astimezone(ZoneInfo(customer_zone(record, config))).date()


def _product(facts: RequestFacts, record: Entitlement | None, config: MappingConfig) -> str | None:
    """The product the request is about (by any of its names, worker/policy/vocabulary.py); when
    it names none, a single-product SEN's product."""
    if facts.product:
        return canonical_product(facts.product, config)
    if "product" in facts.unreadable:
        return None  # not "names no product": the single-product rule must not guess it
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
    created_local = local_date(facts, record, config)
    if record.maintenance_end < created_local:
        return [Reason(ReasonCode.MAINTENANCE_EXPIRED,
                       f"maintenance for {record.sen} ended on {record.maintenance_end.isoformat()}, "
                       f"before the request was created ({created_local.isoformat()})")]
    return []


def _product_covered(facts: RequestFacts, record: Entitlement | None, product: str | None,
                     config: MappingConfig) -> list[Reason]:
    if product is None:
        if (cannot := unreadable(facts, "product", config)) is not None:
            return [cannot]
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


def email_would_decide(reporter: Reporter | None, record: Entitlement | None) -> bool:
    """The reporter matches no admin contact by the identities known, their email is not known,
    and the record lists contacts by email: only the email can decide the admin rule."""
    if reporter is None or record is None or reporter.email:
        return False
    admins = {admin.casefold() for admin in record.admins}
    return not (reporter.identities() & admins) and any("@" in admin for admin in admins)


def _reporter_admin(facts: RequestFacts, record: Entitlement, config: MappingConfig) -> list[Reason]:
    admins = {admin.casefold() for admin in record.admins}
    reporter = facts.reporter
    if reporter is not None and reporter.identities() & admins:
        return []
    if (cannot := unreadable(facts, "reporter", config)) is not None:
        return [cannot]
    if email_would_decide(reporter, record):
        # Cloud hides an email its owner keeps private (and Data Center may): the reporter may
        # still be an admin contact listed by email, so this cannot be judged (the triage looks
        # the account up first, where the site shows the address).
        return [Reason(ReasonCode.REPORTER_UNVERIFIED,
                       f"{reporter} is not listed among the admin contacts of {record.sen} by account or user "
                       f"name, and their email address is hidden, so it cannot be compared with the contacts "
                       f"listed by email")]
    who = str(reporter) if reporter else "the reporter (unknown)"
    return [Reason(ReasonCode.REPORTER_NOT_ADMIN, f"{who} is not an admin contact of {record.sen}")]


# The release line (major.minor) anywhere in the version text: "9.12.3", "v9.12", "Jira 9.12.3".
_VERSION = re.compile(r"(?<![\d.])v?(\d+)\.(\d+)")


def release_line(text: str) -> tuple[int, int] | None:
    match = _VERSION.search(text)
    return (int(match[1]), int(match[2])) if match else None


def _release(facts: RequestFacts, product: str | None, created: date, config: MappingConfig) -> list[Reason]:
    """Pre-release patterns, then End of Life by release line on the customer's local date.

    **decision** (docs/POLICY.md section 4): release lines reach End of Life in the order they
    were released, so a line the table lacks lies between its tracked neighbours: supported when
    the line before it still is, End of Life when the line after it is, and otherwise not judged.
    """
    if (cannot := unreadable(facts, "version", config)) is not None:
        return [cannot]
    version = facts.version
    if not version:
        return []
    releases = config.releases
    for pattern in releases.pre_release_patterns:
        if re.search(pattern, version):
            return [Reason(ReasonCode.UNSUPPORTED_RELEASE,
                           f"version {version} is a Beta, Release Candidate or Development release")]
    table_name = _canonical(product, releases.end_of_life) if product else None
    table = {tuple(int(p) for p in key.split(".")): (key, eol)
             for key, eol in releases.end_of_life[table_name].items()} if table_name else {}
    if not table:
        return []  # gap: a product without an End of Life table is never judged End of Life
    line = release_line(version)
    if line is None:
        return [Reason(ReasonCode.RELEASE_UNJUDGED,
                       f"version {version!r} names no release line (such as 9.12) to look up in the "
                       f"{table_name} End of Life table")]
    name = f"{line[0]}.{line[1]}"
    if line in table:
        key, eol = table[line]
        if eol < created:
            return [Reason(ReasonCode.UNSUPPORTED_RELEASE,
                           f"{table_name} {key} reached End of Life on {eol.isoformat()} (version {version})")]
        return []
    older = [table[known] for known in sorted(table) if known < line]
    newer = [table[known] for known in sorted(table) if known > line]
    if not older:
        return [Reason(ReasonCode.UNSUPPORTED_RELEASE,
                       f"{table_name} {version} is older than {newer[0][0]}, the oldest release still tracked, "
                       f"so End of Life")]
    (before, before_eol), after = older[-1], (newer[0] if newer else None)
    if before_eol >= created:
        return []  # newer than a line that is still supported
    if after is not None and after[1] < created:
        return [Reason(ReasonCode.UNSUPPORTED_RELEASE,
                       f"{table_name} {name} (version {version}) is not in the End of Life table, and {after[0]}, "
                       f"released after it, reached End of Life on {after[1].isoformat()}, so {name} has too")]
    beyond = (f"{after[0]} after it is supported until {after[1].isoformat()}" if after is not None
              else "no later line is listed")
    return [Reason(ReasonCode.RELEASE_UNJUDGED,
                   f"{table_name} {name} (version {version}) is not in the End of Life table: {before}, released "
                   f"before it, reached End of Life on {before_eol.isoformat()} and {beyond}; add {name} to "
                   f"releases.end_of_life")]


def _scope(facts: RequestFacts, config: MappingConfig) -> list[Reason]:
    found: dict[str, str] = {}
    cannot: list[Reason] = []
    if any(rule.request_types for rule in config.out_of_scope.rules):
        cannot += [r for r in (unreadable(facts, "request_type", config),) if r]
    cannot += [r for r in dict.fromkeys(unreadable(facts, rule.field, config)
                                        for rule in config.out_of_scope.rules if rule.field) if r]
    for rule in config.out_of_scope.rules:
        why = _rule_matches(rule, facts)
        if why:
            found.setdefault(rule.category, why)
    if not found:
        return cannot  # nothing matched, but an unreadable field might have
    words = config.out_of_scope.categories
    detail = "; ".join(f"{why} means {words[category]}" for category, why in found.items())
    return [Reason(ReasonCode.OUT_OF_SCOPE, f"{detail}, which Priority Support does not include")]


def _rule_matches(rule: OutOfScopeRule, facts: RequestFacts) -> str | None:
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


def _other_language(rule: LanguageRule, facts: RequestFacts) -> str | None:
    guess = identify(facts.summary, facts.description, supported=rule.supported)
    if (guess is None or guess.language in rule.supported or guess.confidence < rule.min_confidence
            or guess.letters < rule.min_letters):
        return None
    name = LANGUAGE_NAMES.get(guess.language, guess.language)
    served = " or ".join(LANGUAGE_NAMES.get(code, code) for code in rule.supported)
    return f"the request is written in {name}, not {served} (confidence {guess.confidence:.2f})"
