"""worker/bodies.py parse_json refuses nesting past MAX_DEPTH, and only that, however the body is
written (its bracket count is a shortcut, never the verdict)."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from worker.bodies import MAX_DEPTH, BodyError, parse_json


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def depth_of(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


def test_the_limit_itself_is_read_and_one_more_is_refused():
    assert depth_of(parse_json(nested(MAX_DEPTH))) == MAX_DEPTH
    with pytest.raises(BodyError, match="nests deeper than 64"):
        parse_json(nested(MAX_DEPTH + 1))


def test_brackets_inside_strings_do_not_count():
    body = json.dumps({"description": "[{" * 500, "items": [[1], [2], {"a": []}]})
    assert parse_json(body.encode())["items"] == [[1], [2], {"a": []}]


def test_many_shallow_containers_are_read():
    body = json.dumps({"changelog": {"items": [{"field": str(i), "to": [i]} for i in range(300)]}})
    assert len(parse_json(body)["changelog"]["items"]) == 300


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_deep_bodies_in_other_encodings_json_reads_are_refused(encoding):
    with pytest.raises(BodyError, match="nests deeper"):
        parse_json(nested(MAX_DEPTH + 1).encode(encoding))
    assert depth_of(parse_json(nested(MAX_DEPTH).encode(encoding))) == MAX_DEPTH


leaves = st.none() | st.booleans() | st.integers() | st.text(alphabet="[]{}\"\\ab", max_size=6)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(alphabet="[]{}ab", max_size=3), inner, max_size=3),
                      max_leaves=120)


@settings(max_examples=200, deadline=None)
@given(values, st.integers(min_value=0, max_value=70))
def test_refused_exactly_when_deeper_than_the_limit(value, wrap):
    for _ in range(wrap):
        value = [value]
    raw = json.dumps(value).encode()
    if depth_of(value) > MAX_DEPTH:
        with pytest.raises(BodyError, match="nests deeper"):
            parse_json(raw)
    else:
        assert parse_json(raw) == value
