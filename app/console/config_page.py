"""The config page: the effective config (secrets never shown), the versions seen, and an edited
mapping file tried before it goes live: every problem with its line (worker/config/report.py, the
report of `psw config check`), else which of the latest decisions it would change and how, each
re-decided from its recorded inputs by the pure policy (worker/recent_decisions.py). Nothing is
applied from here: the running config changes only when its file does."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from app.admin import _SECRET_KEY, redact
from worker import decision_change, recent_decisions
from worker.config.models import MappingConfig
from worker.config.report import CheckReport
from worker.policy.entitlement import normalise_sen

MAX_CONFIG_BYTES = 256 * 1024  # the shipped config is 11 KiB
PREVIEW_DEFAULT = 100
SECRET = "*** (set, not shown)"


class EditRefused(ValueError):
    """The form cannot be checked as it was sent; the message says what to send instead."""


# -- the effective config ------------------------------------------------------------------------


def _shown_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def settings_shown(settings, prefix: str = "") -> list[tuple[str, str]]:
    """Every setting as (dotted name, value in words). A secret (a field kept out of repr, or named
    like one) says only whether it is set; a URL's password is masked."""
    out: list[tuple[str, str]] = []
    for spec in dataclasses.fields(settings):
        name, value = prefix + spec.name, getattr(settings, spec.name)
        if not spec.repr or _SECRET_KEY.search(spec.name):
            out.append((name, SECRET if value else "(not set)"))
        elif dataclasses.is_dataclass(value):
            out += settings_shown(value, name + ".")
        elif value is None:
            out.append((name, "(not set)"))
        elif isinstance(value, tuple):
            out.append((name, ", ".join(map(str, value)) or "(none)"))
        elif isinstance(value, str) and "://" in value:
            out.append((name, _shown_url(value)))
        else:
            out.append((name, str(value)))
    return out


def config_yaml(config: MappingConfig) -> str:
    return yaml.safe_dump(redact(json.loads(config.model_dump_json())), sort_keys=False, allow_unicode=True)


# -- an edit -------------------------------------------------------------------------------------


def _upload_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name[:80]
    return name if name and name.isprintable() else "uploaded file"


def edited_text(form, files) -> tuple[str, str]:
    """(text, the name problems are reported under) of the pasted or uploaded file."""
    pasted = form.get("text", "")
    upload = files.get("file")
    uploaded = upload is not None and bool(upload.filename)
    if uploaded and pasted.strip():
        raise EditRefused("Paste the edited config or upload a file, not both.")
    if uploaded:
        name, raw = _upload_name(upload.filename), upload.read(MAX_CONFIG_BYTES + 1)
    else:
        name, raw = "pasted config", pasted.encode("utf-8", errors="surrogatepass")
    if not raw.strip():
        raise EditRefused("Paste an edited mapping config, or choose its file to upload.")
    if len(raw) > MAX_CONFIG_BYTES:
        raise EditRefused(f"{name} is over {MAX_CONFIG_BYTES // 1024} KiB: a mapping config is a few KiB "
                          "(the shipped one 11 KiB).")
    try:
        return raw.decode("utf-8-sig"), name
    except UnicodeDecodeError as exc:
        raise EditRefused(f"{name} is not UTF-8 text (byte {exc.start} cannot be read): send the YAML "
                          "file itself.") from None


def decisions_wanted(raw: str | None) -> int:
    most = recent_decisions.KEEP
    try:
        count = int((raw or str(PREVIEW_DEFAULT)).strip())
    except ValueError:
        count = 0
    if not 1 <= count <= most:
        raise EditRefused(f"decisions: a whole number from 1 to {most} (how many of the latest to re-decide)")
    return count


# -- the preview ---------------------------------------------------------------------------------


@dataclass
class Change:
    key: str
    decided_at: str
    before: dict[str, Any]
    after: dict[str, Any] | None  # None: the edited config cannot decide it (`error` says why)
    error: str | None
    changed: list[str]  # what changes, in words (worker/decision_change.py)


@dataclass
class Preview:
    version: str
    considered: int
    changes: list[Change] = field(default_factory=list)
    records_from: str = ""

    @property
    def unchanged(self) -> int:
        return self.considered - len(self.changes)


def preview(report: CheckReport, client, count: int) -> Preview:
    """Which of the latest `count` decisions the valid edit in `report` would decide otherwise."""
    config = report.config
    if report.records is not None:
        source = f"the edit's entitlement file ({config.resolve(config.entitlement.path)}, {len(report.records)} records)"
    else:
        source = "the records the decisions were made with (the edit's source is JSM Assets, not read from here)"
    latest = recent_decisions.latest(client, count)
    out = Preview(config.version, len(latest), records_from=source)
    for kept in latest:
        inputs = kept.inputs
        record = inputs.record
        if report.records is not None:
            sen = normalise_sen(inputs.facts.sen)
            record = report.records.get(sen) if sen else None
        try:
            after, error = recent_decisions.redecide(inputs, config, record), None
        except (ValueError, OverflowError) as exc:
            after, error = None, str(exc)
        changed = ["the edit cannot decide it"] if after is None else decision_change.changes(kept.outline, after)
        if changed:
            out.changes.append(Change(inputs.facts.issue_key, inputs.now.astimezone(timezone.utc).strftime("%a %d %b %H:%M UTC"),
                                      kept.outline, after, error, changed))
    return out


def in_words(outline: dict[str, Any]) -> str:
    """One decision's outline as the table shows it."""
    if outline["outcome"] == "entitled":
        due = outline["due"].replace("T", " ").replace(":00Z", " UTC") if outline.get("due") else "-"
        return f"ENTITLED {outline['level']}, due {due}, priority {outline['jira_priority']}"
    if outline["outcome"] == "not_entitled":
        return "NOT ENTITLED: " + ", ".join(outline["reasons"])
    return "CANNOT DECIDE: " + ", ".join(outline["undecided"])
