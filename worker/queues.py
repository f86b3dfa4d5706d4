"""The Celery queues, named once (Procfile, deploy/ and tests/unit/test_deploy.py follow them).

Two lanes, so that time-critical work never waits behind triage (issue 10):

- `QUEUE` ("psw"): what webhooks and the sweep bring: triage, change events, the sweep itself.
  A burst of requests with a slow Jira backs it up for minutes, and that is fine: each waits its
  turn.
- `TIME_QUEUE` ("psw-time"): reminder firings only, consumed by a worker of its own
  (`worker-time`). The beat's clock loop (worker/timekeeper.py) claims due reminders and pushes
  their firings here, so a reminder's wait is its firing's own Jira calls, however long the
  triage queue is.
"""
QUEUE = "psw"
TIME_QUEUE = "psw-time"
QUEUES = (QUEUE, TIME_QUEUE)
