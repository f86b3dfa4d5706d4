"""Prometheus metrics of the reminder escalations (the rest are in worker/metrics.py)."""
from prometheus_client import Counter, Gauge, Histogram

REMINDERS = Counter(
    "psw_reminders_total", "Reminder firings by outcome (fired, cancelled, superseded, ...)", ["outcome"]
)
REMINDER_BACKLOG = Gauge(
    "psw_reminder_backlog", "Reminders on the schedule: due (all), overdue, claimed, lapsed leases",
    ["state"], multiprocess_mode="livemax",
)
DISPATCH_LAG = Histogram(
    "psw_reminder_dispatch_lag_seconds", "From a reminder's due instant to its task being queued",
    buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
RECONCILED = Counter(
    "psw_reconciled_total", "Reconciliation results: requests queued for triage, reminders rebuilt",
    ["result"],
)
