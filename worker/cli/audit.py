"""`psw audit KEY`: the audit trail of one issue, newest first."""
from __future__ import annotations

import json

import click
import redis

from worker import redis_connect
from worker.audit import AuditTrail
from worker.cli.where import command_env, host_port
from worker.settings import Settings


@click.command("audit")
@click.argument("issue_key")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
def command(issue_key: str, as_json: bool) -> None:
    """Show what the worker decided and wrote for ISSUE_KEY (from Redis)."""
    settings = Settings.from_env(command_env(redis=True))
    try:
        entries = AuditTrail(redis_connect.client(settings, connect_timeout=2, timeout=5)).entries(issue_key)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot read the audit trail from Redis at {host_port(settings.redis_url)}: "
                                   f"{type(exc).__name__}") from None
    if as_json:
        click.echo(json.dumps(entries, indent=2, sort_keys=True))
        return
    if not entries:
        click.echo(f"{issue_key}: no audit entries (never triaged here, or older than the trail keeps)")
        return
    for entry in entries:
        details = ", ".join(f"{k}={v}" for k, v in entry.items()
                            if k not in {"at", "kind", "outcome", "writes", "would_write", "calls"} and v not in (None, [], {}))
        click.echo(f"{entry['at']}  {entry['kind']:<9} {entry.get('outcome', '-'):<10} {details}")
        if entry.get("calls"):
            click.echo(f"    jira calls: {', '.join(entry['calls'])}")
        for label in ("writes", "would_write"):
            if entry.get(label):
                click.echo(f"    {label.replace('_', ' ')}: {json.dumps(entry[label], sort_keys=True)}")
