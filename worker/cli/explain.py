"""`psw explain PAYLOAD.json`: what the triage would decide for a webhook body, without calling Jira."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from worker import clock
from worker.bodies import BodyError, parse_json
from worker.config import ConfigError, MappingConfig, default_config_path, load_config
from worker.explain import ExplainError, explain
from worker.explain import as_json as decision_json
from worker.instants import parse_instant
from worker.policy.decision import Decision, local_and_utc
from worker.policy.facts import RequestFacts
from worker.settings import configured_mapping

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("explain")
@click.argument("payload", type=_FILE)
@click.option("--config", "config_path", type=_FILE, default=configured_mapping,
              help="Mapping config (default: $MAPPING_CONFIG, else the shipped one).")
@click.option("--entitlements", type=_FILE, help="Entitlement records (YAML or CSV) instead of the config's source.")
@click.option("--now", "now_text", help="Decide as at this ISO 8601 instant, e.g. 2026-11-26T10:00:00Z.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def command(payload: Path, config_path: Path | None, entitlements: Path | None, now_text: str | None,
            as_json: bool) -> None:
    """Print the Priority Support decision for the webhook body in PAYLOAD."""
    try:
        config = load_config(config_path or default_config_path())
    except ConfigError as exc:
        raise click.ClickException(f"the mapping config is invalid:\n{exc}") from None
    now = _instant(now_text) if now_text else clock.now()
    try:
        body = parse_json(payload.read_bytes())
    except (OSError, BodyError) as exc:
        raise click.ClickException(f"{payload} is not a JSON file: {exc}") from None
    try:
        decision, facts = explain(body, config, now, entitlements)
    except ExplainError as exc:
        raise click.ClickException(f"{payload}: {exc}") from None
    if as_json:
        click.echo(json.dumps(decision_json(decision, facts, now), indent=2, sort_keys=True, ensure_ascii=False))
    else:
        click.echo(render(decision, facts, config))


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text, "--now")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None


def render(d: Decision, facts: RequestFacts, config: MappingConfig) -> str:
    """The decision in a few lines a person can read."""
    if d.entitled:
        head = f"{d.issue_key}: ENTITLED, level {d.level} ({config.levels[d.level].meaning})"
    elif d.reasons:
        head = f"{d.issue_key}: NOT ENTITLED ({', '.join(d.reason_codes)})"
    else:
        head = f"{d.issue_key}: CANNOT DECIDE ({', '.join(dict.fromkeys(r.code.value for r in d.undecided))})"
    rows = [("created", local_and_utc(d.created, d.time_zone))]
    if d.customer:
        rows.append(("customer", f"{d.customer} ({d.sen}), region {d.region}, zone {d.time_zone}"))
    rows.append(("severity", f"{d.severity.level} from {d.severity.source}: {d.severity.detail}"))
    if d.cap_reason:
        rows.append(("capped", d.cap_reason))
    for reason in d.reasons:
        rows.append(("reason", f"{reason.code.value}: {reason.detail}"))
    for reason in d.undecided:
        rows.append(("not judged", f"{reason.code.value}: {reason.detail}"))
    if d.outcome == "undecided":
        lookup = any(r.code.value == "REPORTER_UNVERIFIED" for r in d.undecided)
        rows.append(("worker", ("looks the reporter's account up for the email first; then " if lookup else "")
                     + "writes nothing and tries again (UNDECIDED_RETRIES), then marks it for a person "
                     f"({config.labels.needs_review} and the comment below)"))
    if d.entitled:
        rows.append(("jira priority", d.jira_priority))
        rows.append(("due", local_and_utc(d.due, d.time_zone)))
        rows.append(("reminders", ", ".join(f"{at:.0%} {instant:%Y-%m-%d %H:%M} UTC"
                                            for at, instant in d.pending_reminders) + " (still to fire)"))
    rows.append(("labels", f"add {', '.join(d.labels_add)}; remove {', '.join(d.labels_remove)}"))
    rows.append(("fields", "; ".join(f"{k} = {v}" for k, v in d.fields.items()) or "(none)"))
    rows.append(("config", f"version {d.config_version}" + (f" ({config.source})" if config.source else "")))
    if facts.missing:
        rows.append(("note", f"the body lacks {', '.join(facts.missing)}; the worker would read the issue"))
    width = max(len(name) for name, _ in rows)
    lines = [head, *(f"  {name.ljust(width)}  {value}" for name, value in rows), "comment:"]
    lines += [f"  | {line}" for line in d.comment.splitlines()]
    return "\n".join(lines)
