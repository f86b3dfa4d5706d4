"""Settings of the reminder escalations, read from the environment in one place.

Kept apart from worker/settings.py (which the whole team shares) and light to import: the Celery
app reads the beat intervals from here at start-up.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass

from worker.settings import SettingsError


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _names(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class ReminderSettings:
    dispatch_interval: float = 1.0  # seconds between two claims of due reminders (beat)
    dispatch_batch: int = 500  # reminders claimed and queued per Redis script call
    lease: float = 300.0  # seconds a claimed reminder may take before it is handed out again
    reconcile_interval: float = 600.0
    untriaged_lookback_minutes: int = 24 * 60  # how far back the sweep looks for missed webhooks
    untriaged_grace_minutes: int = 5  # younger requests may still have their webhook in flight
    open_lookback_days: int = 14  # open triaged requests this young get their reminders rebuilt
    reconcile_max_issues: int = 5000
    reconcile_scope_jql: str = ""  # e.g. 'project = PS', ANDed into both sweeps
    first_response_sla: str = "Time to first response"
    responded_statuses: tuple[str, ...] = ("Waiting for customer",)
    chat_timeout: float = 5.0
    chat_attempts: int = 3  # after this many tries a failing chat webhook no longer holds up a reminder

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReminderSettings:
        env = os.environ if env is None else env
        d = cls()
        return cls(
            dispatch_interval=_number(env, "DISPATCH_INTERVAL_SECONDS", d.dispatch_interval, 0.1),
            dispatch_batch=int(_number(env, "REMINDER_DISPATCH_BATCH", d.dispatch_batch, 1)),
            lease=_number(env, "REMINDER_LEASE_SECONDS", d.lease, 1),
            reconcile_interval=_number(env, "RECONCILE_INTERVAL_SECONDS", d.reconcile_interval, 1),
            untriaged_lookback_minutes=int(_number(env, "RECONCILE_UNTRIAGED_LOOKBACK_MINUTES",
                                                   d.untriaged_lookback_minutes, 1)),
            untriaged_grace_minutes=int(_number(env, "RECONCILE_GRACE_MINUTES", d.untriaged_grace_minutes, 0)),
            open_lookback_days=int(_number(env, "RECONCILE_OPEN_LOOKBACK_DAYS", d.open_lookback_days, 1)),
            reconcile_max_issues=int(_number(env, "RECONCILE_MAX_ISSUES", d.reconcile_max_issues, 1)),
            reconcile_scope_jql=env.get("RECONCILE_SCOPE_JQL", "").strip(),
            first_response_sla=env.get("FIRST_RESPONSE_SLA_NAME", "").strip() or d.first_response_sla,
            responded_statuses=_names(env, "RESPONDED_STATUSES", d.responded_statuses),
            chat_timeout=_number(env, "REMINDER_CHAT_TIMEOUT_SECONDS", d.chat_timeout, 0.1),
            chat_attempts=int(_number(env, "REMINDER_CHAT_ATTEMPTS", d.chat_attempts, 1)),
        )


@functools.cache
def reminder_settings() -> ReminderSettings:
    return ReminderSettings.from_env()


def chat_webhook_url(variable: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """The chat webhook URL held by the variable the mapping config names (a secret: never log it)."""
    if not variable:
        return None
    env = os.environ if env is None else env
    return env.get(variable, "").strip() or None
