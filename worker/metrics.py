"""Prometheus metrics, defined once. Processes share them through PROMETHEUS_MULTIPROC_DIR."""
from prometheus_client import Counter, Histogram

WEBHOOKS = Counter(
    "psw_webhooks_total", "Webhook deliveries by event and outcome", ["event", "outcome"]
)
WEBHOOK_SECONDS = Histogram(
    "psw_webhook_seconds", "Time to answer a webhook delivery",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
)
JIRA_CALLS = Counter(
    "psw_jira_calls_total", "Calls made to Jira", ["operation", "outcome"]
)
JIRA_CALL_SECONDS = Histogram(
    "psw_jira_call_seconds", "Duration of calls made to Jira", ["operation"]
)
TASKS = Counter("psw_tasks_total", "Task runs by name and outcome (ok, failed, retry, busy, expired, invalid)",
                ["task", "outcome"])
TRIAGE_WRITES = Counter(
    "psw_triage_writes_total", "Triage runs by whether they wrote to Jira", ["result"]
)
REJECTED_FIELDS = Counter(
    "psw_jira_rejected_fields_total", "Fields Jira refused to set on a triage edit", ["field"]
)
# psw_config_errors and psw_reminder_backlog{state} are read at scrape time (app/ops.py), not
# kept here: a gauge one process set stays in PROMETHEUS_MULTIPROC_DIR after that process stops
# looking (or dies), so it would go on saying what was true when it last looked.

# Reminder escalations
REMINDERS = Counter(
    "psw_reminders_total", "Reminder firings by outcome (fired, cancelled, superseded, ...)", ["outcome"]
)
DISPATCH_LAG = Histogram(
    "psw_reminder_dispatch_lag_seconds", "From a reminder's due instant to its task being queued",
    buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
RECONCILED = Counter(
    "psw_reconciled_total", "Reconciliation results: requests queued for triage, reminders rebuilt",
    ["result"],
)
RECOVERED = Counter(
    "psw_triage_recovered_total", "Triage tasks of a lost worker queued again by the recovery job"
)
REMINDERS_LATE = Counter(
    "psw_reminders_late_total",
    "Reminders fired more than REMINDER_LATE_AFTER_SECONDS after their instant",
)
