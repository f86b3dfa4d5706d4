"""What a threshold does: its comment (with the duty manager's mention), labels and chat message.

Rendering is pure. Every reminder comment ends with a marker naming the cycle and threshold, so
a firing that crashed after posting (or ran again after Redis lost its "fired" mark) finds its
own comment and does not post a second one.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from worker.instants import iso_utc
from worker.reminders.plan import ReminderPlan, Threshold
from worker.service_errors import ServiceError

MARKER_PREFIX = "psw-reminder:"


class ChatUnavailable(ServiceError):
    """The chat webhook did not take the message (never carries the URL: it is a secret)."""


def marker(cycle: int, code: str) -> str:
    return f"{MARKER_PREFIX}c{cycle}:t{code}"


def already_posted(comments: Iterable[Mapping[str, Any]], cycle: int, code: str) -> bool:
    """True when an internal comment carries this cycle's and threshold's marker."""
    token = marker(cycle, code)
    return any(c.get("public") is not True and token in str(c.get("body") or "") for c in comments)


def mention(duty_manager, deployment: str) -> str:
    """Jira wiki markup mentioning the duty manager: [~accountid:ID] on Cloud, [~name] on Data
    Center; the display name when the config has no id for this deployment."""
    if deployment == "cloud" and duty_manager.account_id:
        return f"[~accountid:{duty_manager.account_id}]"
    if deployment != "cloud" and duty_manager.username:
        return f"[~{duty_manager.username}]"
    return duty_manager.display_name


def _when(instant: datetime | None, zone: str) -> tuple[str, str]:
    if instant is None:
        return "?", "?"
    local = instant.astimezone(ZoneInfo(zone))
    return f"{instant:%Y-%m-%d %H:%M} UTC", f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def render_comment(reminder, plan: ReminderPlan, threshold: Threshold, config, deployment: str) -> str | None:
    """The internal comment for `threshold` (`reminder`: its ReminderConfig), or None when the
    threshold posts none."""
    region = config.regions.get(plan.region) if plan.region else None
    if region is not None:
        manager = region.duty_manager
        named = mention(manager, deployment) if reminder.mention_duty_manager else manager.display_name
    else:
        named = "the duty manager"
    template = reminder.comment
    if template is None:
        if not reminder.mention_duty_manager:
            return None
        template = "{duty_manager}: Priority Support {level} reminder, {percent} of the target elapsed, due {due_utc}."
    due_utc, due_local = _when(plan.due, plan.time_zone)
    text = template.format(
        issue_key=plan.issue_key, level=plan.level or "?", percent=threshold.percent, due_utc=due_utc,
        due_local=due_local, region=plan.region or "?", duty_manager=named,
        customer=plan.customer or "?", phone=region.phone if region is not None else "?",
    )
    if reminder.mention_duty_manager and region is not None and named not in text:
        text += f"\n{named}"
    return f"{text}\n\n({marker(plan.cycle, threshold.code)})"


def format_left(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def chat_payload(plan: ReminderPlan, threshold: Threshold, summary: str, now: datetime) -> dict[str, Any]:
    """A Slack/Teams/Mattermost-compatible message ("text") with the facts as fields too."""
    left = (plan.due - now) if plan.due else timedelta(0)
    state = "breached" if left <= timedelta(0) else f"{format_left(left)} left"
    text = (f"Priority Support {plan.level} {plan.issue_key} \"{summary}\": {threshold.percent} of the "
            f"initial-response target elapsed, {state}.")
    return {"text": text, "issue_key": plan.issue_key, "summary": summary, "level": plan.level,
            "threshold": threshold.percent, "time_left_seconds": max(0, int(left.total_seconds())),
            "due": iso_utc(plan.due) if plan.due else None}


def post_chat(url: str, payload: dict[str, Any], timeout: float, session: requests.Session | None = None) -> None:
    try:
        response = (session or requests).post(url, json=payload, timeout=timeout)
    except requests.RequestException as exc:
        raise ChatUnavailable(f"chat webhook unreachable: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise ChatUnavailable(f"chat webhook answered {response.status_code}")
