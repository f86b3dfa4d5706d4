"""`psw entitlements check FILE`: validate an entitlement file on its own, before the config points at it."""
from __future__ import annotations

from pathlib import Path

import click

from worker.cli.config import fail
from worker.config import ConfigError, default_config_path, load_config
from worker.entitlement.files import load_entitlements
from worker.settings import configured_mapping


@click.group("entitlements")
def command() -> None:
    """Work with entitlement records."""


@command.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=configured_mapping,
              help="Mapping config whose regions the records must name (default: $MAPPING_CONFIG, else the shipped one).")
def check(file: Path, config_path: Path | None) -> None:
    """Validate the YAML or CSV entitlement FILE; print every problem as FILE:LINE: KEY: MESSAGE.
    Exit 0 when valid, else 1."""
    try:
        regions = frozenset(load_config(config_path or default_config_path()).regions)
    except ConfigError as exc:
        click.echo(f"the mapping config is invalid, so the records' regions cannot be checked:", err=True)
        fail(exc.problems)
    try:
        records = load_entitlements(file, regions)
    except ConfigError as exc:
        fail(exc.problems)
    click.echo(f"{file}: OK, {len(records)} records, regions {', '.join(sorted({r.region for r in records.values()})) or 'none'}")
