"""`psw sla due`: due and reminder times of one request from flags, or of many from JSON Lines.

    psw sla due --level L2 --region EMEA --created 2025-03-07T16:30:00-08:00
    psw sla due < requests.jsonl > dues.jsonl   # {"level": ..., "region": ..., "created": ...} each

Each input line gives one output line, {"line": n, "due": ..., "reminders": {"0.5": ..., ...}}
(all UTC, ISO 8601), where n is the input line number so results join back to their requests even
when some lines fail. A bad line prints "line n: why" to stderr and the rest still run; the exit
code is 1 if any line failed. An optional "zone" key (or --zone) is a per-customer time zone, and
an optional "holidays" key (or --holidays) a per-customer holiday calendar, COUNTRY or
COUNTRY-SUBDIVISION as python-holidays names them (US-NY).
"""
from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, TextIO

import click

from worker.config import ConfigError, default_config_path, load_config
from worker.config.models import check_holiday_calendar
from worker.instants import iso_utc, parse_instant
from worker.policy.sla import SlaPolicy, SlaTimes, holidays_from_text
from worker.settings import configured_mapping

FIELDS = ("level", "region", "created")


def as_json(times: SlaTimes) -> dict[str, Any]:
    return {"due": iso_utc(times.due),
            "reminders": {str(threshold): iso_utc(at) for threshold, at in times.reminders.items()}}


def parse_created(text: str) -> datetime:
    return parse_instant(text, "created")


def _message(exc: Exception) -> str:
    # KeyError's str() wraps its message in quotes; the policy's messages read better bare.
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


def due_for(policy: SlaPolicy, request: Any) -> SlaTimes:
    """One JSON request object -> its SLA times; ValueError or KeyError saying what is wrong."""
    if not isinstance(request, dict):
        raise ValueError(f"expected a JSON object, got {type(request).__name__}")
    missing = [name for name in FIELDS if name not in request]
    if missing:
        raise ValueError(f"missing {', '.join(repr(m) for m in missing)}")
    for name in (*FIELDS, "zone", "holidays"):
        if name in request and not isinstance(request[name], str):
            raise ValueError(f"{name!r} must be a string, got {json.dumps(request[name])}")
    return policy.due(request["level"], request["region"], parse_created(request["created"]),
                      zone=request.get("zone"), holidays=parse_holidays(request.get("holidays")))


def parse_holidays(text: str | None) -> tuple[str, str | None] | None:
    """'US-NY' -> ('US', 'NY'), 'NL' -> ('NL', None); ValueError for a calendar python-holidays lacks."""
    holidays = holidays_from_text(text)
    if holidays is not None:
        check_holiday_calendar(*holidays)
    return holidays


def run_lines(policy: SlaPolicy, lines: TextIO, out: TextIO, err: TextIO) -> int:
    """Answer every line; return how many failed."""
    failed = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as exc:
            err.write(f"line {number}: not valid JSON: {exc.msg} (column {exc.colno})\n")
            failed += 1
            continue
        try:
            times = due_for(policy, request)
        except (KeyError, ValueError, OverflowError) as exc:
            err.write(f"line {number}: {_message(exc)}\n")
            failed += 1
            continue
        out.write(json.dumps({"line": number, **as_json(times)}) + "\n")
    return failed


@click.group("sla")
def command() -> None:
    """The SLA clock: due times and reminder times."""


@command.command("due")
@click.option("--level", help="Severity level, e.g. L2.")
@click.option("--region", help="Customer region, e.g. EMEA.")
@click.option("--created", help="Request creation time, ISO 8601 with offset.")
@click.option("--zone", help="Per-customer time zone overriding the region's (IANA name).")
@click.option("--holidays", help="Per-customer public holidays overriding the region's, e.g. US-NY.")
@click.option("--config", "config_path", default=configured_mapping, type=click.Path(dir_okay=False),
              help="Mapping config whose levels and regions to use (default: $MAPPING_CONFIG, else the shipped one).")
def due(level: str | None, region: str | None, created: str | None, zone: str | None,
        holidays: str | None, config_path: str | None) -> None:
    """Due and reminder times: one request from flags, or JSON Lines on stdin."""
    try:
        policy = load_config(config_path or default_config_path()).sla_policy()
    except ConfigError as exc:
        raise click.ClickException(f"the mapping config is invalid:\n{exc}") from None
    given = {"level": level, "region": region, "created": created}
    if any(value is not None for value in given.values()) or zone is not None or holidays is not None:
        missing = [f"--{name}" for name, value in given.items() if value is None]
        if missing:
            raise click.UsageError(f"missing {', '.join(missing)} (or give no flags and JSON Lines on stdin)")
        try:
            times = due_for(policy, {**given, **({"zone": zone} if zone else {}),
                                     **({"holidays": holidays} if holidays else {})})
        except (KeyError, ValueError) as exc:
            raise click.UsageError(_message(exc)) from None
        click.echo(json.dumps(as_json(times)))
        return
    if sys.stdin.isatty():
        raise click.UsageError("give --level, --region and --created, or pipe JSON Lines on stdin")
    failed = run_lines(policy, sys.stdin, sys.stdout, sys.stderr)
    click.get_current_context().exit(1 if failed else 0)
