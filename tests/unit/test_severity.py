"""Severity: one table per source, the order between sources, the default and the production cap."""
from __future__ import annotations

import pytest

from tests.policy_helpers import config_with, facts, shipped
from worker.policy.severity import apply_environment_cap, assess_severity

NOTHING = dict(severity_option=None, impact=None, urgency=None, priority=None)


@pytest.mark.parametrize("option, level", [
    ("L1 - Production down", "L1"),
    ("L2 - Serious degradation", "L2"),
    ("L3 - Moderate impact", "L3"),
    ("L4 - Limited impact", "L4"),
    ("  l1 - production DOWN ", "L1"),
])
def test_the_severity_field(option, level):
    severity = assess_severity(facts(**NOTHING | {"severity_option": option, "priority": "Lowest"}), shipped())
    assert (severity.level, severity.source) == (level, "field")


@pytest.mark.parametrize("impact, urgency, level", [
    ("Extensive / Widespread", "Critical", "L1"),
    ("Extensive / Widespread", "Low", "L2"),
    ("Significant / Large", "High", "L2"),
    ("Moderate / Limited", "Critical", "L2"),
    ("Moderate / Limited", "Medium", "L3"),
    ("Minor / Localized", "High", "L3"),
    ("Minor / Localized", "Low", "L4"),
])
def test_jsm_impact_and_urgency(impact, urgency, level):
    severity = assess_severity(facts(**NOTHING | {"impact": impact, "urgency": urgency, "priority": "Lowest"}), shipped())
    assert (severity.level, severity.source) == (level, "impact_urgency")
    assert severity.detail == f"impact {impact!r} with urgency {urgency!r}"


@pytest.mark.parametrize("priority, level", [
    ("Highest", "L1"), ("High", "L2"), ("Medium", "L3"), ("Low", "L4"), ("Lowest", "L4"),
])
def test_the_jira_priority(priority, level):
    severity = assess_severity(facts(**NOTHING | {"priority": priority}), shipped())
    assert (severity.level, severity.source) == (level, "priority")


def test_the_default_when_nothing_gives_a_level():
    severity = assess_severity(facts(**NOTHING | {"severity_option": "Panic", "priority": "Blocker"}), shipped())
    assert (severity.level, severity.source) == ("L3", "default")


@pytest.mark.parametrize("request_facts, source, level", [
    (dict(severity_option="L4 - Limited impact", impact="Extensive / Widespread", urgency="Critical",
          priority="Highest"), "field", "L4"),
    (dict(severity_option=None, impact="Minor / Localized", urgency="Low", priority="Highest"), "impact_urgency", "L4"),
    (dict(severity_option=None, impact="Minor / Localized", urgency=None, priority="Highest"), "priority", "L1"),
    (dict(severity_option="Not an option", impact=None, urgency=None, priority="High"), "priority", "L2"),
])
def test_sources_are_tried_in_the_configured_order(request_facts, source, level):
    severity = assess_severity(facts(**request_facts), shipped())
    assert (severity.source, severity.level) == (source, level)


def test_the_order_is_the_admins_to_change():
    config = config_with({"severity": {"sources": ["priority", "field"], "default": "L4"}})
    both = facts(severity_option="L1 - Production down", priority="Low")
    assert assess_severity(both, config).source == "priority"
    assert assess_severity(facts(**NOTHING), config).level == "L4"


@pytest.mark.parametrize("requested, environment, applied", [
    ("L1", "Staging", "L3"),
    ("L2", "Development", "L3"),
    ("L1", "Test", "L3"),
    ("L1", "Production", "L1"),
    ("L2", " production ", "L2"),
    ("L1", None, "L1"),  # a request that does not say is not capped
    ("L3", "Staging", "L3"),
    ("L4", "Staging", "L4"),
])
def test_the_production_only_cap(requested, environment, applied):
    result = apply_environment_cap(requested, facts(environment=environment), shipped())
    assert (result.level, result.requested, result.capped) == (applied, requested, applied != requested)
    if result.capped:
        assert result.cap_reason == (f"{requested} is for production impact and the environment is "
                                     f"{environment!r}, so it is handled as L3")


def test_the_cap_level_is_configurable():
    config = config_with({"environments": {"non_production_cap": "L2"}})
    assert apply_environment_cap("L1", facts(environment="Staging"), config).level == "L2"
    assert apply_environment_cap("L2", facts(environment="Staging"), config).level == "L2"
