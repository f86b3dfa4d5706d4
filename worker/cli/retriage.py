"""`psw retriage KEY... | --sen SEN | --jql JQL [--dry-run]`: decide requests again (worker/retriage.py).

Each issue's before -> after is printed; without --dry-run its re-triage is queued for the
workers (their shadow mode applies). Exit 0 when every issue was handled, 1 when one could not
be (a line on stderr names it), 2 for a usage error (no or several selections, a malformed key
or SEN).
"""
from __future__ import annotations

import getpass
import json
import sys

import click
import redis

from worker.cli.where import command_env, host_port
from worker.config.live import NoUsableConfig
from worker.entitlement.sources import EntitlementSourceUnavailable, fresh
from worker.jira.errors import JiraError
from worker.retriage import RetriageError, issue_key, keys_of_jql, normal_sen, open_requests_of, request
from worker.settings import Settings, SettingsError

# More issues than this get a progress bar (on stderr: stdout stays one line per issue).
BAR_FROM = 2


def services_for_command():
    """The worker's services for a command next to the running service, and a Celery app to
    queue with; ClickException naming what is missing."""
    from worker.celery_app import make_celery
    from worker.runtime import build_services

    try:
        settings = Settings.from_env(command_env(redis=True, jira=True))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.jira is None:
        raise click.ClickException("no Jira site: set JIRA_URL and its credentials (or run next to `make run`)")
    svc = build_services(settings)
    try:
        config = svc.config()
    except NoUsableConfig as exc:
        raise click.ClickException(str(exc)) from None
    # Which config (and so which entitlement source) decides: MAPPING_CONFIG must name the
    # running service's file, or the dry run reads other records than the workers do.
    source = config.entitlement.path and config.resolve(config.entitlement.path) or "JSM Assets"
    click.echo(f"psw: mapping config {svc.live_config.path} (version {config.version}; entitlements: {source})", err=True)
    return svc, make_celery(settings)


def _selected(keys: tuple[str, ...], sen: str | None, jql: str | None) -> None:
    chosen = [name for name, given in (("KEY", keys), ("--sen", sen), ("--jql", jql)) if given]
    if len(chosen) != 1:
        raise click.UsageError("name the requests one way: issue keys, --sen SEN or --jql JQL"
                               + (f" (given: {', '.join(chosen)})" if chosen else ""))


@click.command("retriage")
@click.argument("keys", nargs=-1)
@click.option("--sen", help="Every open request of this SEN.")
@click.option("--jql", help="Every request this JQL query finds (at most RECONCILE_MAX_ISSUES).")
@click.option("--dry-run", is_flag=True, help="Show the before and after; queue nothing, write nothing.")
@click.option("--by", "requested_by", help="Who asks, for the comment and the audit (default: your user name).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per issue on stdout.")
def command(keys: tuple[str, ...], sen: str | None, jql: str | None, dry_run: bool, requested_by: str | None,
            as_json: bool) -> None:
    """Decide requests again after their facts or entitlement records changed."""
    _selected(keys, sen, jql)
    try:
        wanted = [issue_key(k) for k in keys]
        sen = normal_sen(sen) if sen is not None else None
    except RetriageError as exc:
        raise click.UsageError(str(exc)) from None
    svc, celery_app = services_for_command()
    who = (requested_by or getpass.getuser()).strip() or "an admin"
    try:
        if sen is not None:
            wanted = open_requests_of(svc, sen)
            if not wanted:
                known = fresh(svc.entitlements()).lookup(sen) is not None
                raise click.ClickException(f"{sen}: no open request carries it" +
                                           ("" if known else ", and the entitlement source does not know it (unknown SEN?)"))
        elif jql is not None:
            wanted = keys_of_jql(svc, jql)
            if not wanted:
                click.echo("the JQL query found no requests", err=True)
                return
    except RetriageError as exc:
        raise click.ClickException(str(exc)) from None
    except (JiraError, EntitlementSourceUnavailable, NoUsableConfig) as exc:
        raise click.ClickException(f"cannot look the requests up: {exc}") from None
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis at {host_port(svc.settings.redis_url)}: {type(exc).__name__}") from None
    lines, failed = _run(svc, celery_app, wanted, who, dry_run, as_json)
    for line in lines:
        click.echo(line)
    for line in failed:
        click.echo(line, err=True)
    if not as_json:
        verb = "would be re-triaged (dry run)" if dry_run else "queued for re-triage"
        click.echo(f"{len(wanted) - len(failed)} of {len(wanted)} request(s) {verb}"
                   + (" (SHADOW_MODE: the workers write nothing)" if svc.settings.shadow_mode and not dry_run else ""),
                   err=True)
    if failed:
        raise SystemExit(1)


def _run(svc, celery_app, keys: list[str], who: str, dry_run: bool, as_json: bool) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    failed: list[str] = []

    def one(key: str) -> None:
        try:
            result = request(svc, celery_app, key, who, dry_run=dry_run, via="cli")
        except RetriageError as exc:
            failed.append(str(exc))
            return
        except (JiraError, EntitlementSourceUnavailable, NoUsableConfig, redis.RedisError) as exc:
            failed.append(f"{key}: not re-triaged: {type(exc).__name__}: {exc}")
            return
        lines.append(json.dumps(result.as_json(), sort_keys=True) if as_json else result.line())

    if len(keys) < BAR_FROM:
        for key in keys:
            one(key)
        return lines, failed
    with click.progressbar(keys, label="re-triage", file=sys.stderr, show_pos=True) as bar:
        for key in bar:
            one(key)
    return lines, failed
