"""The task message the intake writes is the one Celery's own send_task writes."""
import json

from worker.celery_app import make_celery
from worker.queues import QUEUE
from worker.queueing import task_message

VOLATILE = {"id", "root_id", "correlation_id", "reply_to", "delivery_tag", "origin", "psw_queued_at"}


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    return value


def test_message_matches_celery_send_task(settings, redis_client):
    app = make_celery(settings)
    app.send_task("worker.tasks.triage_request", args=["d-1"], queue=QUEUE)
    theirs = json.loads(redis_client.rpop(QUEUE))
    ours = json.loads(task_message(app, "worker.tasks.triage_request", ["d-1"], QUEUE))
    assert _strip(ours) == _strip(theirs)
    assert ours["headers"]["id"] == ours["properties"]["correlation_id"]
