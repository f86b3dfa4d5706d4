"""The triage task turns Jira's answers into Celery retries: Retry-After as the countdown, a 5xx as
a backoff, a 400 as no retry at all."""
from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
import requests
import responses
import time_machine
from celery.exceptions import Retry

from worker.jira.errors import JiraRejected, JiraWriteUncertain
from worker.tasks import BUSY_COUNTDOWN, triage_request
from worker.triage_guard import lock_key

PAYLOAD = Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "cloud-entitled-l1.json"
SITE = "https://retry.atlassian.net"


@pytest.fixture
def delivery(worker_services, redis_client):
    worker_services(SITE)
    redis_client.set("psw:delivery:d-1:body", PAYLOAD.read_bytes())
    # A minute after the request was created: a fresh delivery, so no read of the issue first.
    with time_machine.travel("2026-11-26T10:01:00Z", tick=False):
        yield "d-1"


def run_task(delivery_id):
    with mock.patch.object(triage_request, "retry", side_effect=Retry("retry")) as retry:
        try:
            triage_request.apply(args=[delivery_id], throw=True)
        except Retry:
            pass
    return retry


@responses.activate
def test_429_retries_after_the_retry_after_seconds(delivery):
    responses.put(f"{SITE}/rest/api/2/issue/PS-101", status=429, headers={"Retry-After": "7"})
    retry = run_task(delivery)
    assert retry.call_args.kwargs["countdown"] == 7
    assert len(responses.calls) == 1  # no sleeping, no second try inside the task


@responses.activate
def test_500_retries_with_a_backoff(delivery):
    responses.put(f"{SITE}/rest/api/2/issue/PS-101", status=500)
    retry = run_task(delivery)
    assert 0 <= retry.call_args.kwargs["countdown"] <= 2.0  # first attempt: up to base * 2**0


@responses.activate
def test_400_fails_without_a_retry(delivery, redis_client):
    responses.put(f"{SITE}/rest/api/2/issue/PS-101", status=400, json={"errorMessages": ["no"], "errors": {}})
    with mock.patch.object(triage_request, "retry") as retry, pytest.raises(JiraRejected):
        triage_request.apply(args=[delivery], throw=True)
    retry.assert_not_called()
    [entry] = [json.loads(e) for e in redis_client.lrange("psw:audit:PS-101", 0, -1)]
    assert entry["outcome"] == "error" and "JiraRejected" in entry["error"]


@responses.activate
def test_a_triage_whose_comment_timed_out_keeps_its_issue_from_another_delivery_until_the_write_settled(
        delivery, redis_client):
    """The chaos run: a resend under a new identifier took the lock the moment the first delivery's
    triage retried after its comment POST timed out, found no comment yet, and posted one; the slow
    one landed 0.5 s later."""
    redis_client.set("psw:delivery:d-2:body", PAYLOAD.read_bytes())  # the same issue, a new identifier
    responses.put(f"{SITE}/rest/api/2/issue/PS-101", status=204)
    comment = responses.post(f"{SITE}/rest/servicedeskapi/request/PS-101/comment",
                             body=requests.ReadTimeout("read timed out"))

    def retry(*_args, exc=None, countdown=None, **_kwargs):  # what Task.retry raises
        return Retry(exc=exc, when=countdown)

    with mock.patch.object(triage_request, "retry", side_effect=retry) as first:
        with pytest.raises(Retry):
            triage_request.apply(args=[delivery], throw=True)
    settle = first.call_args.kwargs["exc"].settle
    assert isinstance(first.call_args.kwargs["exc"], JiraWriteUncertain)
    assert 0 < redis_client.pttl(lock_key("PS-101")) <= settle * 1000  # held, not renewed, until it settles
    with mock.patch.object(triage_request, "retry", side_effect=retry) as second:
        with pytest.raises(Retry):
            triage_request.apply(args=["d-2"], throw=True)
    assert BUSY_COUNTDOWN[0] <= second.call_args.kwargs["countdown"] <= BUSY_COUNTDOWN[1]  # busy: later
    assert comment.call_count == 1  # the second delivery sent nothing while the first one's write was in doubt
