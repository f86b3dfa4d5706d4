"""Nested YAML aliases ("billion laughs") are refused with file:line, in the config and in entitlement files."""
from __future__ import annotations

import pytest

from worker.config import ConfigError, load_config
from worker.config.loader import read_yaml
from worker.entitlement.files import load_entitlements

LAUGHS = "\n".join(
    ["lol: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"l{n}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]" for n in range(5)]
) + "\n"  # six lines; the last alias stands for 9**6 = 531,441 values


def test_the_bomb_is_small_and_would_expand_past_half_a_million():
    assert len(LAUGHS.encode()) < 300
    assert LAUGHS.count("*") == 45


@pytest.mark.parametrize("loader, file_name", [(load_config, "mapping.yaml"),
                                               (load_entitlements, "entitlements.yaml")])
def test_nested_aliases_are_refused_quickly_with_file_and_line(tmp_path, loader, file_name):
    path = tmp_path / file_name
    path.write_text(LAUGHS)
    with pytest.raises(ConfigError) as raised:
        loader(path)
    [problem] = raised.value.problems
    assert (problem.file, problem.line) == (str(path), 1)
    assert "aliases repeat more than 10,000 values" in problem.message


def test_ordinary_aliases_still_work():
    data, _ = read_yaml("hours: &h {start: '09:00', end: '17:00'}\nemea: *h\namer: *h\n", "x.yaml")
    assert data["emea"] == data["amer"] == {"start": "09:00", "end": "17:00"}
