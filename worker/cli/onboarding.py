"""`psw onboarding SEN [--format md|html] [--post KEY]`: the on-boarding message of a SEN
(worker/onboarding_message.py), printed, or posted on a request as a comment the customer sees.

Exit 0, 1 (an unknown SEN, an unusable config or source, a request Jira refuses; a line names
it) or 2 (usage: a malformed SEN or key).
"""
from __future__ import annotations

import getpass

import click

from worker.config import ConfigError, default_config_path, load_config
from worker.entitlement.sources import EntitlementSourceUnavailable, source_from_config
from worker.jira.errors import JiraError, JiraRejected
from worker.onboarding_message import marker, render
from worker.retriage import RetriageError, issue_key, normal_sen
from worker.settings import Settings, configured_mapping


@click.command("onboarding")
@click.argument("sen")
@click.option("--format", "form", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=configured_mapping,
              help="Mapping config (default: $MAPPING_CONFIG, else the shipped one).")
@click.option("--post", "post_on", metavar="KEY", help="Post the message (Markdown) on this request, for the customer.")
@click.option("--by", "requested_by", help="Who posts, for the audit (default: your user name).")
def command(sen: str, form: str, config_path: str | None, post_on: str | None, requested_by: str | None) -> None:
    """Render the on-boarding message of SEN from the mapping config and its entitlement record."""
    try:
        sen = normal_sen(sen)
        key = issue_key(post_on) if post_on is not None else None
    except RetriageError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        config = load_config(config_path or default_config_path())
    except ConfigError as exc:
        raise click.ClickException(f"the mapping config is invalid:\n{exc}") from None
    try:
        record = source_from_config(config, Settings.from_env()).lookup(sen)
    except (EntitlementSourceUnavailable, ValueError) as exc:
        raise click.ClickException(f"cannot read the entitlement source: {exc}") from None
    if record is None:
        raise click.ClickException(f"{sen}: the entitlement source does not know this SEN (unknown SEN?)")
    if key is None:
        click.echo(render(record, config, form), nl=False)
        return
    _post(sen, key, render(record, config, "md"), (requested_by or getpass.getuser()).strip() or "an admin")


def _post(sen: str, key: str, message: str, who: str) -> None:
    from worker.cli.retriage import services_for_command

    svc, _ = services_for_command()
    gateway = svc.gateway()
    stamp = marker(sen)
    try:
        if any(stamp in (c.get("body") or "") for c in gateway.get_comments(key)):
            click.echo(f"{key}: the on-boarding message of {sen} is already on the request; not posted again", err=True)
            return
        gateway.add_public_comment(key, f"{message}\n{stamp}")
    except JiraRejected as exc:
        raise click.ClickException(f"{key}: Jira refused the comment (HTTP {exc.status}): {exc}") from None
    except JiraError as exc:
        raise click.ClickException(f"{key}: Jira did not take the comment: {exc}") from None
    svc.audit.record(key, "onboarding", outcome="shadow" if gateway.shadow else "posted", sen=sen, requested_by=who,
                     via="cli")
    click.echo(f"{key}: on-boarding message of {sen} {'recorded, not posted (SHADOW_MODE)' if gateway.shadow else 'posted'}",
               err=True)
