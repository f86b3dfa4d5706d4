"""`psw config check FILE`: validate a mapping config (and its entitlement file) before it goes live."""
from __future__ import annotations

from pathlib import Path

import click

from worker.config import ConfigError, ConfigProblem, MappingConfig, load_config
from worker.config.loader import config_warnings, entitlement_path_problem
from worker.entitlement.files import load_entitlements


@click.group("config")
def command() -> None:
    """Work with the mapping config."""


@command.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Validate FILE and its entitlement file; print every problem as FILE:LINE: KEY: MESSAGE and
    every warning as FILE:LINE: KEY: warning: MESSAGE. Exit 0 when valid (warnings or not), else 1."""
    problems: list[ConfigProblem] = []
    config: MappingConfig | None = None
    try:
        config = load_config(file)
        usable, valid = config, {"entitlement", "regions"}
    except ConfigError as exc:
        problems += exc.problems
        usable, valid = exc.partial, exc.valid
    records = None
    # The entitlement file is checked whenever the sections naming it are valid, so its problems
    # come in the same report as the mapping file's.
    if usable is not None and {"entitlement", "regions"} <= valid and usable.entitlement.source == "file":
        missing = entitlement_path_problem(usable)
        if missing is not None:
            problems.append(missing)
        else:
            try:
                records = load_entitlements(usable.resolve(usable.entitlement.path), frozenset(usable.regions))
            except ConfigError as exc:
                problems += exc.problems
    for warning in config_warnings(config) if config is not None else ():
        click.echo(_as_warning(warning), err=True)
    if problems:
        fail(problems)
    summary = (f"{file}: OK, version {config.version}: {len(config.levels)} levels, "
               f"{len(config.regions)} regions, {len(config.reminders)} reminders, "
               f"entitlement source {config.entitlement.source}")
    if records is not None:
        summary += f" ({config.resolve(config.entitlement.path)}: {len(records)} records)"
    click.echo(summary)


def _as_warning(warning: ConfigProblem) -> str:
    return str(ConfigProblem(warning.file, warning.line, warning.path, f"warning: {warning.message}"))


def fail(problems: list[ConfigProblem]) -> None:
    """Print every problem, the mapping file's first, and exit 1."""
    for problem in problems:
        click.echo(str(problem), err=True)
    count = len(problems)
    click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
    raise SystemExit(1)
