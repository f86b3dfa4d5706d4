"""The Celery queues and every task's name, named once and importing nothing: the web process,
the beat's clock loop and the sweep queue tasks by these names (worker/queueing.py builds the
message), the worker registers its tasks under them (worker/tasks.py, worker/reminders/tasks.py),
and Procfile, deploy/ and tests/unit/test_deploy.py follow the queue names.

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

# The triage of a `jira:issue_created` delivery (argument: the delivery id).
TRIAGE_REQUEST = "worker.tasks.triage_request"
# The triage of a request by its key: found by the sweep, changed, asked for again (re-triage).
TRIAGE_BY_KEY = "worker.tasks.triage_by_key"
# A `jira:issue_updated` or `comment_created` delivery, for the reminders.
REQUEST_CHANGED = "worker.reminders.tasks.request_changed"
# One due reminder (argument: its schedule member), on TIME_QUEUE.
FIRE_REMINDER = "worker.reminders.tasks.fire_reminder"
# The reconciliation sweep, queued by beat.
RECONCILE = "worker.reminders.tasks.reconcile"
