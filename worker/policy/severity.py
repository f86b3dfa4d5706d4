"""Which level (L1-L4) a request asks for, and the production-only cap. Pure.

Sources are tried in the config's order (by default: the Severity select, JSM impact x urgency,
the Jira priority); the first that yields a level wins, else the config's default. Option names
match case-insensitively, ignoring surrounding spaces, because portals and admins disagree on
capitalisation far more often than on meaning.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from worker.config.models import MappingConfig
from worker.policy import vocabulary
from worker.policy.facts import RequestFacts


@dataclass(frozen=True)
class Severity:
    level: str
    source: str  # "field" | "impact_urgency" | "priority" | "default"
    detail: str  # what it was read from, in words


@dataclass(frozen=True)
class AppliedLevel:
    level: str
    requested: str
    cap_reason: str | None = None  # set when the requested level was capped

    @property
    def capped(self) -> bool:
        return self.level != self.requested


def _lookup(table: Mapping[str, str], key: str | None) -> str | None:
    if key is None:
        return None
    wanted = key.strip().casefold()
    return next((value for name, value in table.items() if name.strip().casefold() == wanted), None)


def _from_field(facts: RequestFacts, config: MappingConfig) -> Severity | None:
    level = _lookup(config.severity.field_options, facts.severity_option)
    return level and Severity(level, "field", f"the Severity field says {facts.severity_option!r}")


def _from_impact_urgency(facts: RequestFacts, config: MappingConfig) -> Severity | None:
    row = next((r for name, r in config.severity.impact_urgency.items()
                if facts.impact and name.strip().casefold() == facts.impact.strip().casefold()), None)
    level = _lookup(row, facts.urgency) if row else None
    return level and Severity(level, "impact_urgency",
                              f"impact {facts.impact!r} with urgency {facts.urgency!r}")


def _from_priority(facts: RequestFacts, config: MappingConfig) -> Severity | None:
    level = _lookup(config.severity.priority_names, facts.priority)
    return level and Severity(level, "priority", f"the Jira priority is {facts.priority!r}")


_SOURCES = {"field": _from_field, "impact_urgency": _from_impact_urgency, "priority": _from_priority}
_SOURCE_FACTS = {"field": ("severity",), "impact_urgency": ("impact", "urgency"), "priority": ("priority",)}


def severity_facts_read(severity: Severity, config: MappingConfig) -> tuple[str, ...]:
    """The facts the sources tried up to (and including) the one that gave `severity` read: if one
    of them could not be read, the level might have been another."""
    read: list[str] = []
    for source in config.severity.sources:
        read += _SOURCE_FACTS[source]
        if source == severity.source:
            break
    return tuple(read)


@dataclass(frozen=True)
class LevelOverride:
    """An agent's explicit choice of level, made by setting the Jira priority (docs/POLICY.md 5)."""

    level: str
    priority: str  # the Jira priority the agent set; the triage leaves it as it is

    def severity(self) -> Severity:
        return Severity(self.level, "override", f"an agent set the Jira priority to {self.priority!r}")


def override_for(priority: str | None, config: MappingConfig) -> LevelOverride | None:
    """The level an agent's priority stands for (severity.priority_names), or None."""
    level = _lookup(config.severity.priority_names, priority)
    return LevelOverride(level, priority) if level and priority else None


def assess_severity(facts: RequestFacts, config: MappingConfig) -> Severity:
    for source in config.severity.sources:
        found = _SOURCES[source](facts, config)
        if found:
            return found
    return Severity(config.severity.default, "default", "nothing on the request gave a level, so the default applies")


def is_production(facts: RequestFacts, config: MappingConfig) -> bool:
    """False only when the request says its environment is something other than production
    (any of `environments.production_values`' spellings, worker/policy/vocabulary.py)."""
    return vocabulary.is_production(facts.environment, config)


def apply_environment_cap(level: str, facts: RequestFacts, config: MappingConfig) -> AppliedLevel:
    """L1/L2 are for production impact: outside production they are capped (docs/POLICY.md section 1)."""
    cap = config.environments.non_production_cap
    if (config.levels[level].production_only and not is_production(facts, config)
            and config.level_rank(level) < config.level_rank(cap)):
        return AppliedLevel(cap, level, f"{level} is for production impact and the environment is "
                                        f"{facts.environment!r}, so it is handled as {cap}")
    return AppliedLevel(level, level)
