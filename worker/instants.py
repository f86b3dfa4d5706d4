"""Instants from outside (a body's `created`, `--now`, a JSON line) within the years the SLA
clock counts in.

Python's datetime ends at year 9999 and begins at year 1: a request created in either year has
a due time, a UTC conversion or a reminder past the end, an OverflowError deep in the calendar.
No Jira request was created before 1970 or will be after 2999, so anything outside is refused
where it is read, with a message naming it.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

FIRST_YEAR = 1970
LAST_YEAR = 2999


def within_range(instant: datetime, what: str) -> datetime:
    """`instant`, or ValueError when its year is outside FIRST_YEAR..LAST_YEAR."""
    if not FIRST_YEAR <= instant.year <= LAST_YEAR:
        raise ValueError(f"{what} {instant.isoformat()} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return instant


def aware_instant(value: Any) -> datetime | None:
    """An ISO instant with its offset, in UTC, from a stored property; None for anything else
    (not text, not ISO, no offset): a reader of our own records shows what it can."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else None
