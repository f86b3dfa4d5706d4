"""`psw config check FILE`: validate a mapping config (and its entitlement file) before it goes live."""
from __future__ import annotations

from pathlib import Path

import click

from worker.config import ConfigProblem
from worker.config.report import check_file


@click.group("config")
def command() -> None:
    """Work with the mapping config."""


@command.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Validate FILE and its entitlement file; print every problem as FILE:LINE: KEY: MESSAGE and
    every warning as FILE:LINE: KEY: warning: MESSAGE. Exit 0 when valid (warnings or not), else 1."""
    report = check_file(file)
    for warning in report.warnings:
        click.echo(_as_warning(warning), err=True)
    if report.problems:
        fail(report.problems)
    config, records = report.config, report.records
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
