"""Hypothesis strategies for hostile bodies: arbitrary JSON (deep nesting, huge strings, odd
numbers), and a real issue_created body with odd values in any of its field positions.

`make test` runs 200 examples a test; PSW_FUZZ=deep runs 5,000 (README, "Tests").
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PAYLOADS = Path(__file__).resolve().parent / "fixtures" / "payloads"
REAL_CREATED = json.loads((PAYLOADS / "cloud-entitled-l1.json").read_text())

settings.register_profile("psw-default", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                 HealthCheck.data_too_large])
settings.register_profile("psw-deep", parent=settings.get_profile("psw-default"), max_examples=5000)
FUZZ = settings.get_profile(f"psw-{os.environ.get('PSW_FUZZ', 'default')}")

odd_numbers = st.one_of(st.integers(), st.integers(min_value=-(10 ** 40), max_value=10 ** 40),
                        st.floats(allow_nan=False, allow_infinity=False),
                        st.sampled_from([0, -1, 10000001.0, 1e308, -0.0, 2 ** 63]))
odd_strings = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "SEN-10000001", "SEN–10000001", "0001-01-01T00:00:00.000+0100",
                     "9999-12-31T23:59:59.999-1200", "2026-11-26T10:00:00.000+0000", "2026-13-45",
                     "L1", "Production", "jira:issue_created", "\x00"]),
    st.builds(lambda c, n: c * n, st.sampled_from(["9", "x", "é", " "]), st.integers(1_000, 100_000)),
)
scalars = st.one_of(st.none(), st.booleans(), odd_numbers, odd_strings)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)), max_leaves=30)


def nested(depth: int, leaf=1):
    """`leaf` inside `depth` arrays and objects (built in a loop: any depth)."""
    for level in range(depth):
        leaf = [leaf] if level % 2 else {"a": leaf}
    return leaf


def nested_text(depth: int) -> str:
    """The JSON text of `nested(depth)` (json.dumps itself stops near 1,000 levels)."""
    opening = "".join("[" if level % 2 else '{"a":' for level in reversed(range(depth)))
    closing = "".join("]" if level % 2 else "}" for level in range(depth))
    return opening + "1" + closing


depths = st.integers(min_value=30, max_value=1500)
DEEP = "\x00deep\x00"  # stands in a body for a deeply nested value, filled in as text


def _replaced(body, path, value):
    """`body` with the value at `path` replaced; only the containers on the path are copied."""
    if not path:
        return value
    if not isinstance(body, (list, dict)):
        raise TypeError("an earlier edit replaced a container on this path")
    copied = list(body) if isinstance(body, list) else dict(body)
    copied[path[0]] = _replaced(body[path[0]], path[1:], value)
    return copied


def _positions(value, path=()):
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _positions(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _positions(item, path + (index,))


POSITIONS = list(_positions(REAL_CREATED))


def _edited(edits):
    body = REAL_CREATED
    for path, value in edits:
        try:
            body = _replaced(body, path, value)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier edit replaced a container this path goes through
    return body


def odd_created(values):
    """A real issue_created body with one to three of its values (at any depth) replaced."""
    return st.lists(st.tuples(st.sampled_from(POSITIONS), values), min_size=1, max_size=3).map(_edited)


# Python values, for the worker's readers.
reader_bodies = st.one_of(json_values, odd_created(st.one_of(json_values, depths.map(nested))))


def _text(body, depth: int) -> str:
    return json.dumps(body).replace(json.dumps(DEEP), nested_text(depth))


# JSON texts, for the endpoints and the CLI.
raw_bodies = st.one_of(
    json_values.map(json.dumps),
    depths.map(nested_text),
    st.builds(_text, odd_created(st.one_of(json_values, st.just(DEEP))), depths),
)
