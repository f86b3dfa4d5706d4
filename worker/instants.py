"""Instants as text: the one parser (`parse_instant`) and the one formatter (`iso_utc`).

Every instant read from outside (a body's `created`, `--now`, `?now=`, a JSON line, the
`priority-support` property) goes through `parse_instant`: ISO 8601 with a UTC offset, within the
years the SLA clock counts in. Every instant the service writes as text (the property, the
reminder schedule, `psw sla`) is `iso_utc`: UTC to the second with a `Z`, the shape the property
has always had, so a decision written today compares equal with one written before.

Python's datetime ends at year 9999 and begins at year 1: a request created in either year has
a due time, a UTC conversion or a reminder past the end, an OverflowError deep in the calendar.
No Jira request was created before 1970 or will be after 2999, so anything outside is refused
where it is read, with a message naming it.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from worker.bodies import shorten

FIRST_YEAR = 1970
LAST_YEAR = 2999
EXAMPLE = "2026-11-26T10:00:00Z"


def within_range(instant: datetime, what: str) -> datetime:
    """`instant`, or ValueError when its year is outside FIRST_YEAR..LAST_YEAR."""
    if not FIRST_YEAR <= instant.year <= LAST_YEAR:
        raise ValueError(f"{what} {instant.isoformat()} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return instant


class NotAnInstant(ValueError):
    """The text is not an ISO 8601 date-time at all (as opposed to one without an offset, or
    outside the years): a reader that knows the format its source sends can say so."""


def parse_instant(value: Any, what: str) -> datetime:
    """`value`, ISO 8601 text with a UTC offset, as the aware datetime it names (in the offset it
    was given). ValueError naming `what` and the value when it is not text, not ISO 8601 (then
    NotAnInstant), has no offset, or lies outside FIRST_YEAR..LAST_YEAR."""
    shown = shorten(repr(value))
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise NotAnInstant(f"{what} {shown} is not an ISO 8601 instant such as {EXAMPLE}")
    # The range first: a year-9999 instant west of UTC has no UTC conversion to check.
    within_range(parsed, what)
    if parsed.tzinfo is None:
        raise ValueError(f"{what} {shown} has no UTC offset: give a UTC offset (Z or +hh:mm), e.g. {EXAMPLE}")
    return parsed


def aware_instant(value: Any) -> datetime | None:
    """An ISO instant with its offset, in UTC, from a stored property; None for anything else
    (not text, not ISO, no offset): a reader of our own records shows what it can."""
    try:
        return parse_instant(value, "instant").astimezone(timezone.utc)
    except ValueError:
        return None


def iso_utc(instant: datetime) -> str:
    """The instant as the service writes it: UTC, to the second, with a Z."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
