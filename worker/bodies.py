"""Reading bodies nobody vouches for: webhook deliveries, explain payloads, Jira's answers.

`parse_json` is the one JSON parser for such bodies: it refuses, with a message for a 400 or an
error line, what `json.loads` would take but later code could not survive (nesting that
exhausts the interpreter's recursion limit, NaN and Infinity, which are not JSON). The shape
helpers read a value of an unexpected type as "not there", so a reader never meets an
AttributeError or TypeError on an odd body. `shorten` bounds a value before it is echoed into a
comment, an answer or a log line.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Real Jira bodies nest about ten deep; JSM's rich-text fields a few more.
MAX_DEPTH = 64
ELLIPSIS = "…"
ECHO_CHARS = 200  # longer than any SEN, product, version or name a Jira field holds


class BodyError(ValueError):
    """The body is not JSON this service reads; the message says why."""


def _no_constant(name: str) -> Any:
    raise BodyError(f"{name} is not a JSON value")


def parse_json(raw: bytes | str) -> Any:
    """The JSON value of `raw`; BodyError when it is not JSON or nests deeper than MAX_DEPTH."""
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise BodyError(f"the JSON nests deeper than {MAX_DEPTH} levels") from None
    except BodyError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:  # json.JSONDecodeError is a ValueError
        raise BodyError(f"not JSON: {shorten(str(exc))}") from None
    if _may_nest_past(raw, MAX_DEPTH) and depth_exceeds(value, MAX_DEPTH):
        raise BodyError(f"the JSON nests deeper than {MAX_DEPTH} levels")
    return value


def _may_nest_past(raw: bytes | str, limit: int) -> bool:
    """False when `raw` holds too few brackets to open more than `limit` containers, whatever its
    encoding: then the walk below is not needed. Most webhook bodies have fewer than 64 (a count
    is a scan in C; the walk is a Python loop over every value, the intake's costliest step)."""
    opening = (b"[", b"{") if isinstance(raw, bytes) else ("[", "{")
    return raw.count(opening[0]) + raw.count(opening[1]) > limit


def depth_exceeds(value: Any, limit: int) -> bool:
    """True when containers nest more than `limit` deep (iterative: any depth is safe to ask)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def sequence(value: Any) -> list:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """`value` if it is a non-empty string, else None (a number or an object is not a name)."""
    return value if isinstance(value, str) and value else None


def shorten(value: str, limit: int = ECHO_CHARS) -> str:
    """`value`, cut to `limit` characters with an ellipsis when longer."""
    return value if len(value) <= limit else value[:limit - 1] + ELLIPSIS
