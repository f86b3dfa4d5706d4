"""The value types of the mapping config: levels, zones, durations, working hours, labels.

Each is an Annotated type whose validator raises ValueError with a sentence an admin can act
on; the loader puts the file, line and key in front of it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def one_of(kind: str, allowed: tuple[str, ...]):
    def check(value: Any) -> Any:
        if value not in allowed:
            raise ValueError(f"unknown {kind} {value!r} (expected {', '.join(allowed)})")
        return value
    return BeforeValidator(check)


def _level(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"L[1-9]", value):
        raise ValueError(f"expected a level such as L1, got {value!r}")
    return value


def _zone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a time zone name such as Europe/Amsterdam, got {value!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


_DURATION = re.compile(r"\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*")


def parse_duration(value: Any) -> timedelta:
    """'1h', '30m', '1h30m', '90s' -> timedelta. Days are not accepted: a 'day' is ambiguous here
    (calendar day or business day), so targets are stated in working hours."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if not match or not any(match.groups()):
        raise ValueError(f"expected a duration such as '1h', '30m' or '1h30m', got {value!r}")
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


@dataclass(frozen=True)
class BusinessDays:
    """A target in business days: each day is the customer's region's working-day length
    (`regions.<R>.business_day`, else the length of its usual working day), so 1 business day is
    8 h for 09:00-17:00 and 10 h for 08:00-18:00."""

    days: float

    def __str__(self) -> str:
        return f"{self.days:g} business day{'' if self.days == 1 else 's'}"


_BUSINESS_DAYS = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:bd|business\s+days?)\s*", re.IGNORECASE)


def parse_target(value: Any) -> timedelta | BusinessDays:
    """'1h', '30m' (working time on the level's calendar) or '1 business day', '2 business days', '1bd'."""
    if isinstance(value, (timedelta, BusinessDays)):
        return value
    match = _BUSINESS_DAYS.fullmatch(value) if isinstance(value, str) else None
    if match:
        days = float(match[1])
        if days <= 0:
            raise ValueError(f"a target of {value!r} is no time at all")
        return BusinessDays(days)
    try:
        return parse_duration(value)
    except ValueError:
        raise ValueError(f"expected a duration such as '1h' or '1h30m', or business days such as "
                         f"'1 business day', got {value!r}") from None


def _label(value: Any) -> str:
    if not isinstance(value, str) or not value or re.search(r"\s", value) or len(value) > 255:
        raise ValueError(f"a Jira label is one word without spaces, got {value!r}")
    return value


def _days(key: Any) -> list[int]:
    text = str(key).strip().lower()
    first, _, last = text.partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise ValueError(f"unknown day {key!r} (use mon..sun or a range such as mon-fri)")
    start, end = DAYS.index(first), DAYS.index(last or first)
    if end < start:
        raise ValueError(f"day range {key!r} runs backwards")
    return list(range(start, end + 1))


_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_MIDNIGHT = time(0)


def _minutes(at: time, closing: bool = False) -> int:
    """Minutes since midnight; a closing 00:00 is the *next* midnight (24:00)."""
    return 24 * 60 if closing and at == _MIDNIGHT else at.hour * 60 + at.minute


def _span(day_key: Any, text: Any) -> tuple[time, time]:
    """'09:00-17:00' -> (09:00, 17:00); an end of 24:00 (or 00:00) means midnight."""
    match = _SPAN.fullmatch(text.strip()) if isinstance(text, str) else None
    bounds = None
    if match:
        (h1, m1), (h2, m2) = (int(match[1]), int(match[2])), (int(match[3]), int(match[4]))
        try:
            bounds = time(h1, m1), (_MIDNIGHT if (h2, m2) == (24, 0) else time(h2, m2))
        except ValueError:
            bounds = None
    if bounds is None:
        raise ValueError(f"{day_key}: expected working hours as \"HH:MM-HH:MM\", got {text!r}")
    if not _minutes(bounds[0]) < _minutes(bounds[1], closing=True):
        raise ValueError(f"{day_key}: working hours {text!r} end before they start")
    return bounds


def parse_working_hours(value: Any) -> dict[int, tuple[tuple[time, time], ...]]:
    """{'mon-fri': '09:00-17:00', 'sat': ['10:00-12:00']} -> {weekday (0 = Monday): spans}."""
    if isinstance(value, dict) and all(isinstance(k, int) for k in value):
        return value  # already parsed (a model built in code rather than from YAML)
    if not isinstance(value, dict):
        raise ValueError("expected days mapped to working hours, such as mon-fri: \"09:00-17:00\"")
    hours: dict[int, tuple[tuple[time, time], ...]] = {}
    for key, spans in value.items():
        spans = [spans] if isinstance(spans, str) else spans
        if not isinstance(spans, list):
            raise ValueError(f"{key}: expected \"HH:MM-HH:MM\" or a list of them")
        parsed = sorted(_span(key, span) for span in spans)
        for before, after in zip(parsed, parsed[1:]):
            if _minutes(after[0]) < _minutes(before[1], closing=True):
                raise ValueError(f"{key}: working hours overlap")
        for day in _days(key):
            if day in hours:
                raise ValueError(f"{DAYS[day]} is given more than once")
            if parsed:
                hours[day] = tuple(parsed)
    return dict(sorted(hours.items()))


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"pattern {value!r} is not a regular expression: {exc}") from None
    return value


def _field_id(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"customfield_\d+|[a-z][A-Za-z]*", value):
        raise ValueError(f"expected a Jira field id such as customfield_10100 or summary, got {value!r}")
    return value


LevelName = Annotated[str, BeforeValidator(_level)]
FieldId = Annotated[str, BeforeValidator(_field_id)]
RegexText = Annotated[str, AfterValidator(_regex)]
ZoneName = Annotated[str, BeforeValidator(_zone)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Target = Annotated[timedelta | BusinessDays, BeforeValidator(parse_target)]
Label = Annotated[str, BeforeValidator(_label)]
WorkingHours = Annotated[dict[int, tuple[tuple[time, time], ...]], BeforeValidator(parse_working_hours)]
