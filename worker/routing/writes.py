"""A holding as Jira values: the team field and the assignee of one edit. Pure.

Used by the triage (the same edit as priority, labels and SLA fields) and by a handoff's
reassignment, so both write a holder alike.
"""
from __future__ import annotations

from typing import Any

from worker.bodies import mapping, text


def team_value(kind: str, team: str) -> Any:
    """The team field's value on an edit: a select {"value"}, a group picker {"name"}, the
    Atlassian team field the team's id as a string."""
    if kind == "select":
        return {"value": team}
    if kind == "group":
        return {"name": team}
    return team


def assignee_value(assignee: dict | None, deployment: str) -> dict | None:
    """Cloud names users by account id, Data Center by user name; None unassigns."""
    assignee = mapping(assignee)
    if deployment == "cloud" and text(assignee.get("account_id")):
        return {"accountId": assignee["account_id"]}
    if deployment != "cloud" and text(assignee.get("username")):
        return {"name": assignee["username"]}
    return None


def holder_fields(route: dict, routing, deployment: str) -> dict[str, Any]:
    """The edit's fields that put a request with the holder `route` (a Holding.route())."""
    fields = {routing.team_field.id: team_value(routing.team_field.kind, route["team"])}
    if routing.assign:
        fields["assignee"] = assignee_value(route.get("assignee"), deployment)
    return fields


def held_team(issue_fields: dict, routing) -> str | None:
    """The team the issue's team field names now, whatever its kind."""
    value = issue_fields.get(routing.team_field.id)
    if isinstance(value, dict):
        return text(value.get("value")) or text(value.get("name"))
    return text(value)


def changed_fields(wanted: dict[str, Any], issue_fields: dict, routing) -> dict[str, Any]:
    """Only what differs from what the issue holds: a retried handoff or triage edits nothing twice."""
    changed = {}
    team_id = routing.team_field.id
    if team_id in wanted and held_team(issue_fields, routing) != held_team({team_id: wanted[team_id]}, routing):
        changed[team_id] = wanted[team_id]
    if "assignee" in wanted:
        now = mapping(issue_fields.get("assignee"))
        want = wanted["assignee"] or {}
        same = (now.get("accountId") or now.get("name")) == (want.get("accountId") or want.get("name"))
        if not same:
            changed["assignee"] = wanted["assignee"]
    return changed


def phone_lines(office: str | None, customer_region: str, config, level: str, when: str = "now") -> str:
    """The phone sentence: the customer's own region's line, and the office on shift at that
    moment, `when` (the seed: an L1 call after local hours routes to the office online elsewhere)."""
    regions = config.regions
    own = f"{level} phone support: the {customer_region} Priority Support line is {regions[customer_region].phone}"
    if office == customer_region:
        return f"{own} (its office is on shift {when})."
    if office is not None:
        return (f"{own}; the office on shift {when} is {office}, {regions[office].phone} "
                f"(a call to {customer_region} out of its hours routes there).")
    select = config.routing.select if config.routing else None
    if select is not None and select.phone:
        return f"{own}; no Priority Support office is on shift {when}: {select.team} answers {select.phone}."
    return f"{own}."


def holder_words(route: dict) -> str:
    """'Priority Support EMEA (Emil Engineer)', or the Select team covering a region's holiday."""
    assignee = mapping(route.get("assignee")).get("display_name")
    who = route["team"] + (f" ({assignee})" if assignee else "")
    if route.get("office") is None and route.get("covering"):
        who += f", covering {route['covering']}"
    return who
