"""Reminder escalations before a breach (docs/POLICY.md 5; docs/DESIGN.md decisions 2-5).

    triage ──schedule_for_decision──▶ Redis schedule (store.py: due zset, claimed zset)
    beat's clock loop ──dispatch_due (every DISPATCH_INTERVAL_SECONDS)──▶ claim + queue fire_reminder
        onto the time lane (psw-time, its own worker), atomically (worker/timekeeper.py)
    fire_reminder ──▶ re-read Jira; answered: cancel; else labels, chat, comment; mark fired
    webhooks (comment_created, jira:issue_updated) ──request_changed──▶ check / re-triage
    beat ──reconcile (every RECONCILE_INTERVAL_SECONDS)──▶ triage missed requests, rebuild schedule

No Celery ETA or countdown longer than a few minutes: a reminder days ahead waits in the sorted
set, never in a worker. See plan.py for the SLA cycle, store.py for the Redis layout.
"""
from worker.reminders.schedule import cancel_reminders, schedule_for_decision

__all__ = ["cancel_reminders", "schedule_for_decision"]
