"""One report of everything wrong with a mapping config and the entitlement file it names: what
`psw config check` prints and what the console's config page shows for an edit pasted into it.

Every problem of both files comes at once: the mapping file's field errors and cross-checks, and
the entitlement file's problems whenever the sections naming it are valid."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from worker.config.loader import (
    ConfigError,
    ConfigProblem,
    config_warnings,
    entitlement_path_problem,
    load_config,
    parse_config,
)
from worker.config.models import MappingConfig
from worker.entitlement.files import Records, load_entitlements


@dataclass
class CheckReport:
    config: MappingConfig | None  # the mapping config, when it is valid on its own
    problems: list[ConfigProblem] = field(default_factory=list)  # the mapping file's first
    warnings: list[ConfigProblem] = field(default_factory=list)
    records: Records | None = None  # the entitlement file's records, when read and valid

    @property
    def ok(self) -> bool:
        return self.config is not None and not self.problems


def check_file(path: str | Path) -> CheckReport:
    return _report(lambda: load_config(path))


def check_text(text: str, name: str, source: Path | None) -> CheckReport:
    """`text` as the file `name` (for the messages), its relative paths taken from `source`'s folder."""
    return _report(lambda: parse_config(text, name=name, source=source))


def _report(load: Callable[[], MappingConfig]) -> CheckReport:
    report = CheckReport(None)
    try:
        report.config = usable = load()
        valid = {"entitlement", "regions"}
    except ConfigError as exc:
        report.problems += exc.problems
        usable, valid = exc.partial, exc.valid
    if usable is not None and {"entitlement", "regions"} <= valid and usable.entitlement.source == "file":
        missing = entitlement_path_problem(usable)
        if missing is not None:
            report.problems.append(missing)
        else:
            try:
                report.records = load_entitlements(usable.resolve(usable.entitlement.path), frozenset(usable.regions))
            except ConfigError as exc:
                report.problems += exc.problems
    if report.config is not None:
        report.warnings = config_warnings(report.config)
    return report
