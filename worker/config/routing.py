"""The `routing` section of the mapping config: which team holds a request when, and its handoffs.

Per region the Priority Support team (a value of one Jira field) and its shifts in the region's
own zone; one Select team for weekends and public holidays. The rules that use them are in
worker/routing/ (docs/POLICY.md section 6). Cross-checks against `regions` and `levels` are in
worker/config/checks.py.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, model_validator

from worker.config.values import Duration, FieldId, LevelName, WorkingHours, ZoneName, one_of

# How the team field takes a value on an edit: a single select {"value": ...}, a group picker
# {"name": ...}, or the Atlassian team field (its team id as a plain string).
TEAM_FIELD_KINDS = ("select", "group", "team")


class Strict(BaseModel):
    # As worker/config/models.Strict, which imports this module (so it cannot be imported here).
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(Strict):
    """One engineer of a roster: a Cloud account id and/or a Data Center user name, and when on shift."""

    display_name: str
    account_id: str | None = None
    username: str | None = None
    hours: WorkingHours | None = None  # in the team's zone; unset: whenever the team is on shift

    @model_validator(mode="after")
    def _someone(self) -> "Person":
        if not (self.account_id or self.username):
            raise ValueError("a roster entry needs an account_id (Cloud) or a username (Data Center)")
        return self


class TeamField(Strict):
    id: FieldId
    kind: Annotated[str, one_of("team field kind", TEAM_FIELD_KINDS)] = "select"


class RegionTeam(Strict):
    """A region's Priority Support team: the team field's value and its shifts (the region's zone)."""

    team: str
    shifts: WorkingHours
    roster: tuple[Person, ...] = ()

    @model_validator(mode="after")
    def _on_some_day(self) -> "RegionTeam":
        if not self.shifts:
            raise ValueError("shifts: at least one day with hours (a team never on shift holds nothing)")
        return self


class SelectTeam(Strict):
    """Who holds Priority Support requests on weekends and on a region's public holidays."""

    team: str
    zone: ZoneName = "UTC"  # the zone of its roster's hours
    phone: str | None = None
    roster: tuple[Person, ...] = ()


class RoutingConfig(Strict):
    team_field: TeamField
    assign: bool = True  # also set the assignee from the roster (the team alone when False)
    regions: dict[str, RegionTeam]
    select: SelectTeam
    # The levels that follow the sun (the region on shift) and get warm handoffs; the others go
    # to their own region's team. Of those, the ones the Select team takes at the global weekend
    # (the others wait for Monday 10:00 Sydney, as their clock does).
    follow_the_sun: tuple[LevelName, ...] = ("L1", "L2")
    weekend: tuple[LevelName, ...] = ("L1",)
    handoff_before: Duration = timedelta(minutes=30)

    @model_validator(mode="after")
    def _weekend_follows(self) -> "RoutingConfig":
        strays = [level for level in self.weekend if level not in self.follow_the_sun]
        if strays:
            raise ValueError(f"weekend: {', '.join(strays)} must also be in follow_the_sun")
        if self.handoff_before < timedelta(0) or self.handoff_before > timedelta(hours=4):
            raise ValueError(f"handoff_before must be between 0 and 4h, got {self.handoff_before}")
        return self
