"""`psw jira fields`: the site's fields, and which config entries point at which of them."""
from __future__ import annotations

import click

from worker.cli.where import command_env
from worker.config import ConfigError, MappingConfig, default_config_path, load_config
from worker.jira.errors import JiraError
from worker.jira.gateway import JiraGateway
from worker.settings import Settings, SettingsError, configured_mapping


def config_references(config: MappingConfig) -> dict[str, str]:
    """Config key path -> the Jira field id it names."""
    refs = {f"fields.{name}": value for name, value in config.fields.model_dump().items() if value}
    refs.update({f"write_fields.{name}": value
                 for name, value in config.write_fields.model_dump().items() if value})
    for i, rule in enumerate(config.out_of_scope.rules):
        if rule.field:
            refs[f"out_of_scope.rules[{i}].field"] = rule.field
    return refs


@click.group("jira")
def command() -> None:
    """Look at the configured Jira site."""


@command.command("fields")
@click.option("--config", "config_path", default=configured_mapping, type=click.Path(dir_okay=False),
              help="Mapping config (default: $MAPPING_CONFIG, else the shipped one).")
def fields(config_path: str | None) -> None:
    """List the site's fields (id, name, type) and check the config's field references.

    Exits 1 when a config entry points at a field the site does not have."""
    try:
        config = load_config(config_path or default_config_path())
        gateway = JiraGateway.from_settings(Settings.from_env(command_env(jira=True)))
        site_fields = gateway.get_fields()
    except ConfigError as exc:
        raise click.ClickException(f"the mapping config is invalid:\n{exc}") from None
    except (SettingsError, ValueError) as exc:
        raise click.ClickException(f"no usable Jira site: {exc} (set JIRA_URL and credentials)") from None
    except JiraError as exc:
        raise click.ClickException(f"Jira did not list its fields: {exc}") from None
    refs = config_references(config)
    used_by: dict[str, list[str]] = {}
    for path, field_id in refs.items():
        used_by.setdefault(field_id, []).append(path)
    by_id = {f["id"]: f for f in site_fields}
    for f in sorted(site_fields, key=lambda f: (not f.get("custom"), f["id"])):
        kind = (f.get("schema") or {}).get("custom") or (f.get("schema") or {}).get("type") or "-"
        mark = f"  <- {', '.join(used_by[f['id']])}" if f["id"] in used_by else ""
        click.echo(f"{f['id']:<22} {f.get('name', ''):<32} {kind}{mark}")
    dangling = {path: fid for path, fid in refs.items() if fid not in by_id}
    for path, field_id in dangling.items():
        click.echo(f"config {path} points at {field_id}, which this site does not have", err=True)
    if dangling:
        raise SystemExit(1)
