"""The on-boarding message for a SEN (`psw onboarding SEN`), built from the mapping config and the
SEN's entitlement record: the initial-response target of each level with its calendar in words,
the priority definitions with examples, the regional phone numbers, and how to raise an L1.

The text is built once as blocks (headings, paragraphs, lists, a table) and rendered as Markdown
(also what is posted on a request) or HTML (escaped), so the two never say different things.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from worker.config.models import MappingConfig
from worker.config.values import DAYS
from worker.policy.decision import _calendar_words as calendar_words  # the triage comment's words
from worker.policy.decision import _target_words as target_words
from worker.policy.entitlement import Entitlement

MARKER_PREFIX = "(psw-onboarding "


def marker(sen: str) -> str:
    """Ends a posted on-boarding message: how a second post on the same request is found."""
    return f"{MARKER_PREFIX}{sen})"


@dataclass(frozen=True)
class Block:
    kind: str  # "h1", "h2", "p", "ul", "ol", "table"
    items: tuple  # text (h1, h2, p), item texts (ul, ol), or rows (table; the first is the header)


def _hours_words(hours: dict[int, tuple]) -> str:
    """{0: ((09:00, 17:00),), ...} -> "Mon-Fri 09:00-17:00"; runs of days with the same hours joined."""
    parts: list[str] = []
    days = sorted(hours)
    start = 0
    while start < len(days):
        end = start
        while end + 1 < len(days) and days[end + 1] == days[end] + 1 and hours[days[end + 1]] == hours[days[start]]:
            end += 1
        name = DAYS[days[start]].capitalize() + (f"-{DAYS[days[end]].capitalize()}" if end > start else "")
        spans = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in hours[days[start]])
        parts.append(f"{name} {spans}")
        start = end + 1
    return "; ".join(parts) or "no working hours"


def blocks(record: Entitlement, config: MappingConfig) -> list[Block]:
    region = config.regions[record.region]
    zone = record.time_zone or region.zone
    # The customer's own holiday calendar, else the region's, named as python-holidays codes.
    holidays = record.holidays or (region.holidays.country, region.holidays.subdivision)
    out = [Block("h1", (f"Welcome to Priority Support, {record.customer}",)),
           Block("p", (f"Your Support Entitlement Number is {record.sen}; your region is {record.region} "
                       f"({zone}, working hours {_hours_words(region.hours)}). Requests raised by your admin "
                       f"contacts under this SEN go to the Priority Support team.",)),
           Block("h2", ("Initial response targets",))]
    rows = [("Level", "Meaning", "Initial response", "Clock runs")]
    for name, level in config.levels.items():
        rows.append((name, level.meaning, target_words(name, record.region, config),
                     calendar_words(name, record.region, zone, config, holidays)))
    out += [Block("table", tuple(rows)), Block("h2", ("Priority definitions",))]
    severity_options = {level: option for option, level in config.severity.field_options.items()}
    for name, level in config.levels.items():
        said = f"{name}: {level.meaning} (Jira priority {level.jira_priority}"
        if name in severity_options:
            said += f"; Severity \"{severity_options[name]}\""
        said += "; production only" if level.production_only else ""
        out.append(Block("p", (said + ").",)))
        if level.examples:
            out.append(Block("ul", tuple(level.examples)))
    out += [Block("h2", ("Phone support for L1",)),
            Block("p", (f"Call your region's number for L1 issues. A call made after business hours in your "
                        f"region is routed to the Priority Support team in an office that is online.",)),
            Block("ul", tuple(f"{code}: {r.phone} ({r.zone}, {_hours_words(r.hours)})" + (" - your region" if code == record.region else "")
                              for code, r in config.regions.items()))]
    l1 = config.levels.get("L1")
    if l1 is not None:
        steps = [f"Raise a request in the portal from one of your admin contacts, with {record.sen} in the SEN field."]
        if "L1" in severity_options:
            steps.append(f"Set Severity to \"{severity_options['L1']}\".")
        if l1.production_only and config.environments.production_values:
            steps.append(f"Set Environment to \"{config.environments.production_values[0]}\": L1 is for production "
                         f"(a request outside production is handled as {config.environments.non_production_cap} at most).")
        steps.append(f"Call {region.phone} and give the request's key; the initial response is due within "
                     f"{target_words('L1', record.region, config)}, {calendar_words('L1', record.region, zone, config, holidays)}.")
        out += [Block("h2", ("How to raise an L1",)), Block("ol", tuple(steps))]
    return out


def markdown(parts: list[Block]) -> str:
    lines: list[str] = []
    for block in parts:
        if block.kind == "h1":
            lines += [f"# {block.items[0]}", ""]
        elif block.kind == "h2":
            lines += [f"## {block.items[0]}", ""]
        elif block.kind == "p":
            lines += [block.items[0], ""]
        elif block.kind in ("ul", "ol"):
            lines += [f"{f'{i}.' if block.kind == 'ol' else '-'} {item}" for i, item in enumerate(block.items, 1)] + [""]
        elif block.kind == "table":
            header, *rows = block.items
            lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows] + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def to_html(parts: list[Block]) -> str:
    e = html.escape
    out: list[str] = []
    for block in parts:
        if block.kind in ("h1", "h2", "p"):
            out.append(f"<{block.kind}>{e(block.items[0])}</{block.kind}>")
        elif block.kind in ("ul", "ol"):
            out.append(f"<{block.kind}>" + "".join(f"<li>{e(item)}</li>" for item in block.items) + f"</{block.kind}>")
        elif block.kind == "table":
            header, *rows = block.items
            out.append("<table><thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in header) + "</tr></thead><tbody>"
                       + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
                       + "</tbody></table>")
    return "\n".join(out) + "\n"


def render(record: Entitlement, config: MappingConfig, form: str = "md") -> str:
    if form not in ("md", "html"):
        raise ValueError(f"format {form!r}: md or html")
    parts = blocks(record, config)
    return markdown(parts) if form == "md" else to_html(parts)
