"""`psw config check FILE`: validate a mapping config (and its entitlement file) before it goes live."""
from __future__ import annotations

from pathlib import Path

import click

from worker.config import ConfigError, load_config
from worker.entitlement.files import load_entitlements


@click.group("config")
def command() -> None:
    """Work with the mapping config."""


@command.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Validate FILE; print every problem as FILE:LINE: KEY: MESSAGE. Exit 0 when valid, else 1."""
    try:
        config = load_config(file)
    except ConfigError as exc:
        _fail(exc)
    summary = (f"{file}: OK, version {config.version}: {len(config.levels)} levels, "
               f"{len(config.regions)} regions, {len(config.reminders)} reminders, "
               f"entitlement source {config.entitlement.source}")
    if config.entitlement.source == "file":
        entitlements = config.resolve(config.entitlement.path)
        try:
            records = load_entitlements(entitlements, frozenset(config.regions))
        except ConfigError as exc:
            _fail(exc)
        summary += f" ({entitlements}: {len(records)} records)"
    click.echo(summary)


def _fail(error: ConfigError) -> None:
    for problem in error.problems:
        click.echo(str(problem), err=True)
    count = len(error.problems)
    click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
    raise SystemExit(1)
