"""Entitlement records from a YAML or CSV file, with file:line errors like the mapping config's.

YAML: a top-level `entitlements:` list of records. CSV: one record a row, a header naming the
record's keys; list cells (products, admins) separate their items with ';'. Empty cells are
"not given".
"""
from __future__ import annotations

import csv
import io
from collections.abc import Collection
from pathlib import Path

from pydantic import ValidationError

from worker.config.loader import ConfigError, ConfigProblem, problem, read_yaml, validation_problems
from worker.policy.entitlement import Entitlement, normalise_sen

Records = dict[str, Entitlement]


def load_entitlements(path: str | Path, known_regions: Collection[str] | None = None) -> Records:
    """The records in `path` by normalised SEN; ConfigError lists every problem in the file."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(name, None, "", f"cannot read the file: {exc}")]) from None
    rows = _csv_rows(text, name) if name.lower().endswith(".csv") else _yaml_rows(text, name)
    records: Records = {}
    seen: set[str] = set()
    problems: list[ConfigProblem] = []
    for path_prefix, data, lines in rows:
        # Duplicates are found on the raw SEN, so a second copy is reported even when the first is invalid.
        sen = normalise_sen(data.get("sen")) if isinstance(data, dict) and isinstance(data.get("sen"), str) else None
        if sen is not None and sen in seen:
            problems.append(problem(name, lines, path_prefix + ("sen",), f"{sen} is listed more than once"))
        seen.add(sen)
        # The region is checked on the raw value too, so a record with other errors gets every
        # problem in one report.
        region = data.get("region") if isinstance(data, dict) else None
        if known_regions is not None and isinstance(region, str) and region.strip().upper() not in known_regions:
            problems.append(problem(name, lines, path_prefix + ("region",),
                                    f"unknown region {region.strip().upper()!r} (the mapping config has "
                                    f"{', '.join(sorted(known_regions)) or 'none'})"))
        try:
            record = Entitlement.model_validate(data)
        except ValidationError as exc:
            problems += validation_problems(exc, Entitlement, lines, name, path_prefix)
            continue
        records[record.sen] = record
    if problems:
        raise ConfigError(problems)
    return records


def _yaml_rows(text: str, name: str):
    data, lines = read_yaml(text, name)
    entries = data.get("entitlements") if isinstance(data, dict) else None
    if not isinstance(data, dict) or set(data) != {"entitlements"} or not isinstance(entries, list):
        raise ConfigError([ConfigProblem(name, 1, "", "expected one key, entitlements, holding a list of records")])
    for index, entry in enumerate(entries):
        yield ("entitlements", index), entry, lines


def _csv_rows(text: str, name: str):
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ConfigError([ConfigProblem(name, 1, "", "the CSV file has no header row")])
    for row in reader:
        line = reader.line_num
        if None in row:
            raise ConfigError([ConfigProblem(name, line, "", "the row has more cells than the header")])
        data = {key.strip(): value.strip() for key, value in row.items() if value is not None and value.strip()}
        # One line per row: a problem names the row's line and the column.
        yield (), data, {(key,): line for key in data} | {(): line}
