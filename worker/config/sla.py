"""Turns the mapping config's levels, regions and reminder thresholds into an SlaPolicy.

The calendars themselves live in worker.policy.calendar/sla; the config only names them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from worker.policy.sla import LevelTarget, Region, SlaPolicy

if TYPE_CHECKING:
    from worker.config.models import MappingConfig


def build_sla_policy(config: "MappingConfig") -> SlaPolicy:
    levels = {name: LevelTarget(name, level.target, level.calendar) for name, level in config.levels.items()}
    regions = {
        code: Region(code, region.zone, region.holidays.country, region.holidays.subdivision,
                     region.hours, frozenset(region.extra_closed), frozenset(region.holidays.reopen),
                     region.business_day)
        for code, region in config.regions.items()
    }
    # The 100 % threshold is the due instant itself; SlaPolicy computes only the ones before it.
    thresholds = tuple(sorted(r.at for r in config.reminders if r.at < 1))
    return SlaPolicy(levels, regions, thresholds)
