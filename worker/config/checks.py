"""Rules that relate one part of the mapping config to another.

Each check yields (key path, message) and never stops at the first problem, so an admin sees
everything that is wrong with a file in one pass.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from worker.config.models import MappingConfig
from worker.config.values import BusinessDays

KeyPath = tuple[str | int, ...]
_MAJOR_MINOR = re.compile(r"\d+\.\d+")


def cross_check(config: MappingConfig, valid: Collection[str] | None = None) -> list[tuple[KeyPath, str]]:
    """Every cross-check's problems. With `valid` (the top-level sections that passed their own
    validation, `config` then holding only those), the checks whose sections all passed still
    run, so a file with field errors gets its cross-check problems in the same report."""
    problems: list[tuple[KeyPath, str]] = []
    for check, sections in _CHECKS:
        if valid is None or set(sections) <= set(valid):
            problems.extend(check(config))
    return problems


def _level_ref(config: MappingConfig, path: KeyPath, level: str) -> Iterator[tuple[KeyPath, str]]:
    if level not in config.levels:
        yield path, f"unknown level {level!r} (defined: {', '.join(sorted(config.levels)) or 'none'})"


def _levels(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    if not config.levels:
        yield ("levels",), "at least one level is needed"
    labels: dict[str, str] = {}
    for name, level in config.levels.items():
        if isinstance(level.target, BusinessDays):
            if level.calendar != "regional":
                yield ("levels", name, "target"), (f"a target in business days needs calendar: regional "
                                                   f"(a business day is a region's working day), not {level.calendar}")
        elif level.target.total_seconds() <= 0:
            yield ("levels", name, "target"), "the target must be longer than zero"
        if level.calendar == "regional" and not config.regions:
            yield ("levels", name, "calendar"), "a regional calendar needs at least one region"
        if level.label in labels:
            yield ("levels", name, "label"), f"label {level.label!r} is also used by {labels[level.label]}"
        labels[level.label] = name


def _environments(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    yield from _level_ref(config, ("environments", "non_production_cap"), config.environments.non_production_cap)


def _severity(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    severity = config.severity
    yield from _level_ref(config, ("severity", "default"), severity.default)
    for option, level in severity.field_options.items():
        yield from _level_ref(config, ("severity", "field_options", option), level)
    for name, level in severity.priority_names.items():
        yield from _level_ref(config, ("severity", "priority_names", name), level)
    for impact, row in severity.impact_urgency.items():
        for urgency, level in row.items():
            yield from _level_ref(config, ("severity", "impact_urgency", impact, urgency), level)
    needs = {"field": config.fields.severity, "impact_urgency": config.fields.impact and config.fields.urgency}
    for index, source in enumerate(severity.sources):
        if source in needs and not needs[source]:
            yield ("severity", "sources", index), f"severity source {source!r} needs its field(s) under fields"
    if len(set(severity.sources)) != len(severity.sources):
        yield ("severity", "sources"), "a severity source is listed twice"


def _regions(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    for code, region in config.regions.items():
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", code):
            yield ("regions", code), f"region code {code!r} must be upper-case letters, digits or _"
        if not region.hours:
            yield ("regions", code, "hours"), f"region {code} has no working time, so its calendar would never open"


def _reminders(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    seen: set[float] = set()
    for index, reminder in enumerate(config.reminders):
        if reminder.at in seen:
            yield ("reminders", index, "at"), f"threshold {reminder.at} is given more than once"
        seen.add(reminder.at)
        if not (reminder.comment or reminder.labels or reminder.mention_duty_manager or reminder.notify_url_env):
            yield ("reminders", index), "a reminder needs at least one action (comment, labels, mention, notify)"


def _out_of_scope(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    categories = config.out_of_scope.categories
    for index, rule in enumerate(config.out_of_scope.rules):
        path = ("out_of_scope", "rules", index)
        if rule.category not in categories:
            yield path + ("category",), f"unknown category {rule.category!r} (defined: {', '.join(sorted(categories))})"
        if not (rule.request_types or rule.field or rule.patterns or rule.language):
            yield path, "a rule needs request_types, a field with values, patterns to search, or a language"
        if bool(rule.field) != bool(rule.values):
            yield path, "field and values go together"
        if bool(rule.patterns) != bool(rule.search):
            yield path, "patterns and search go together (search: which of summary, description, version)"


def _products(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    covered = {p.casefold() for p in config.products.covered}
    for product in config.products.bundled:
        if product.casefold() not in covered:
            yield ("products", "bundled", product), f"bundled product {product!r} is not in products.covered"
    for alias, product in config.products.aliases.items():
        if product.casefold() not in covered:
            yield ("products", "aliases", alias), f"alias {alias!r} names {product!r}, which is not in products.covered"


def _releases(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    covered = {p.casefold() for p in config.products.covered}
    for product, table in config.releases.end_of_life.items():
        if product.casefold() not in covered:
            yield ("releases", "end_of_life", product), f"product {product!r} is not in products.covered"
        for version in table:
            if not _MAJOR_MINOR.fullmatch(version):
                yield ("releases", "end_of_life", product, version), \
                    f"expected a feature release such as \"9.12\", got {version!r}"
        # A line the table lacks is judged by its neighbours (worker/policy/entitlement.py
        # _release), which holds only while later lines end no earlier than earlier ones.
        lines = sorted((tuple(int(p) for p in v.split(".")), v, eol) for v, eol in table.items()
                       if _MAJOR_MINOR.fullmatch(v))
        for (_, earlier, earlier_eol), (_, later, later_eol) in zip(lines, lines[1:]):
            if later_eol < earlier_eol:
                yield ("releases", "end_of_life", product, later), \
                    (f"{later} reaches End of Life ({later_eol}) before {earlier} ({earlier_eol}); "
                     f"release lines must end in the order they were released")


def _write_fields(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    written: dict[str, str] = {}
    for name, field_id in config.write_fields.model_dump().items():
        if field_id is None:
            continue
        if field_id in written:
            yield ("write_fields", name), f"field {field_id} is also written as {written[field_id]}"
        written[field_id] = name


def _entitlement(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    source = config.entitlement
    if source.source == "file" and not source.path:
        yield ("entitlement", "path"), "the file source needs a path"
    if source.source == "assets" and (not source.aql or "{sen}" not in source.aql):
        yield ("entitlement", "aql"), "the assets source needs an aql query containing {sen}"


# Each check with the top-level sections it reads.
def _routing(config: MappingConfig) -> Iterator[tuple[KeyPath, str]]:
    routing = config.routing
    if routing is None:
        return
    for code in routing.regions:
        if code not in config.regions:
            yield ("routing", "regions", code), f"unknown region {code!r} (regions: {', '.join(sorted(config.regions))})"
    for code in config.regions:
        if code not in routing.regions:
            yield ("routing", "regions"), f"region {code} has no Priority Support team: every region needs one"
    for key in ("follow_the_sun", "weekend"):
        for index, level in enumerate(getattr(routing, key)):
            yield from _level_ref(config, ("routing", key, index), level)


_CHECKS = (
    (_levels, ("levels", "regions")),
    (_environments, ("levels", "environments")),
    (_severity, ("severity", "levels", "fields")),
    (_regions, ("regions",)),
    (_reminders, ("reminders",)),
    (_out_of_scope, ("out_of_scope",)),
    (_products, ("products",)),
    (_releases, ("releases", "products")),
    (_write_fields, ("write_fields",)),
    (_entitlement, ("entitlement",)),
    (_routing, ("routing", "regions", "levels")),
)


def warnings(config: MappingConfig) -> list[tuple[KeyPath, str]]:
    """What is valid but probably not meant: reported by `psw config check`, never refused."""
    found: list[tuple[KeyPath, str]] = []
    ruled = {rule.category for rule in config.out_of_scope.rules}
    for category in config.out_of_scope.categories:
        if category not in ruled:
            found.append((("out_of_scope", "categories", category),
                          f"category {category!r} has no rule, so no request is ever found to be {category}"))
    return found
