"""JiraGateway against `responses`: exact requests for Cloud and Data Center, and every failure mode."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
import responses
import time_machine
from prometheus_client import REGISTRY
from requests.adapters import HTTPAdapter
from responses import matchers
from urllib3.util import Retry

from tests.http.sites import AUTH_HEADER, CLOUD, DATACENTER, SECRETS
from worker.jira.errors import JiraRejected, JiraRetryLater, JiraUnavailable
from worker.jira.gateway import PAGE_SIZE, JiraGateway, label_update
from worker.settings import JiraSite, Settings

NOW = datetime(2025, 3, 4, 10, 0, 0, tzinfo=timezone.utc)
SD_HEADER = {"X-ExperimentalApi": "opt-in"}
DC_PAT_FOR_ENV = "env-pat-0c1d"


def auth(site: JiraSite):
    return matchers.header_matcher({"Authorization": AUTH_HEADER[site.deployment]})


def sample(name: str, value=None) -> float:
    labels = {"operation": name} if value is None else {"operation": name, "outcome": value}
    metric = "psw_jira_call_seconds_count" if value is None else "psw_jira_calls_total"
    return REGISTRY.get_sample_value(metric, labels) or 0.0


# -- exact requests, both deployments -----------------------------------------------------------


def test_get_issue_asks_for_the_named_fields_and_properties(rsps, site, gateway):
    issue = {"key": "PS-1", "fields": {"summary": "Down"}, "properties": {"priority-support": {"v": 1}}}
    rsps.get(f"{site.url}/rest/api/2/issue/PS-1", json=issue, match=[
        auth(site),
        matchers.query_param_matcher({"fields": "summary,labels", "properties": "priority-support"}),
    ])
    assert gateway.get_issue("PS-1", fields=["summary", "labels"], properties=["priority-support"]) == issue
    assert rsps.calls[0].request.req_kwargs["timeout"] == site.timeout
    assert gateway.calls == 1 and gateway.call_log == [("get_issue", "ok")]


def test_get_issue_without_fields_sends_no_query(rsps, site, gateway):
    rsps.get(f"{site.url}/rest/api/2/issue/PS-2", json={"key": "PS-2"},
             match=[auth(site), matchers.query_param_matcher({})])
    assert gateway.get_issue("PS-2") == {"key": "PS-2"}


def test_edit_issue_sets_fields_and_labels_in_one_quiet_put(rsps, site, gateway):
    body = {"fields": {"customfield_10100": "L2", "priority": {"name": "High"}},
            "update": {"labels": [{"add": "ps-l2"}, {"remove": "ps-l3"}]}}
    rsps.put(f"{site.url}/rest/api/2/issue/PS-1", status=204, match=[
        auth(site), matchers.query_param_matcher({"notifyUsers": "false"}), matchers.json_params_matcher(body),
    ])
    gateway.edit_issue("PS-1", fields=body["fields"],
                       update={"labels": label_update(add=["ps-l2"], remove=["ps-l3"])})
    assert gateway.call_log == [("edit_issue", "ok")]


def test_edit_issue_can_notify_watchers(rsps, site, gateway):
    rsps.put(f"{site.url}/rest/api/2/issue/PS-1", status=204, match=[
        matchers.query_param_matcher({}), matchers.json_params_matcher({"fields": {"summary": "x"}}),
    ])
    gateway.edit_issue("PS-1", fields={"summary": "x"}, notify_users=True)


def test_edit_issue_refuses_an_empty_or_contradictory_edit_without_calling(rsps, gateway):
    with pytest.raises(ValueError, match="nothing to send"):
        gateway.edit_issue("PS-1")
    with pytest.raises(ValueError, match="labels"):
        gateway.edit_issue("PS-1", fields={"labels": ["a"]}, update={"labels": [{"add": "b"}]})
    assert gateway.calls == 0


def test_add_internal_comment_posts_a_private_service_desk_comment(rsps, site, gateway):
    created = {"id": "10001", "body": "Triage: L2", "public": False}
    rsps.post(f"{site.url}/rest/servicedeskapi/request/PS-1/comment", status=201, json=created, match=[
        auth(site), matchers.header_matcher(SD_HEADER),
        matchers.json_params_matcher({"body": "Triage: L2", "public": False}),
    ])
    assert gateway.add_internal_comment("PS-1", "Triage: L2") == created


def test_get_comments_reads_every_page(rsps, site, gateway):
    url = f"{site.url}/rest/servicedeskapi/request/PS-1/comment"
    common = {"public": "true", "internal": "true", "limit": str(PAGE_SIZE)}
    rsps.get(url, json={"start": 0, "size": 2, "isLastPage": False, "values": [{"id": "1"}, {"id": "2"}]},
             match=[auth(site), matchers.header_matcher(SD_HEADER),
                    matchers.query_param_matcher({**common, "start": "0"})])
    rsps.get(url, json={"start": 2, "size": 1, "isLastPage": True, "values": [{"id": "3"}]},
             match=[matchers.query_param_matcher({**common, "start": "2"})])
    assert [c["id"] for c in gateway.get_comments("PS-1")] == ["1", "2", "3"]
    assert gateway.call_log == [("get_comments", "ok"), ("get_comments", "ok")]


def test_get_sla_reads_every_page(rsps, site, gateway):
    url = f"{site.url}/rest/servicedeskapi/request/PS-1/sla"
    rsps.get(url, json={"isLastPage": False, "values": [{"name": "Time to first response"}]},
             match=[auth(site), matchers.query_param_matcher({"start": "0", "limit": str(PAGE_SIZE)})])
    rsps.get(url, json={"isLastPage": True, "values": [{"name": "Time to resolution"}]},
             match=[matchers.query_param_matcher({"start": "1", "limit": str(PAGE_SIZE)})])
    assert [s["name"] for s in gateway.get_sla("PS-1")] == ["Time to first response", "Time to resolution"]


def test_get_property_returns_the_value(rsps, site, gateway):
    value = {"level": "L2", "config": "abc123"}
    rsps.get(f"{site.url}/rest/api/2/issue/PS-1/properties/priority-support",
             json={"key": "priority-support", "value": value}, match=[auth(site)])
    assert gateway.get_property("PS-1", "priority-support") == value


def test_get_property_absent_is_none_not_an_error(rsps, site, gateway):
    rsps.get(f"{site.url}/rest/api/2/issue/PS-1/properties/priority-support", status=404,
             json={"errorMessages": ["The property with key 'priority-support' does not exist."]})
    assert gateway.get_property("PS-1", "priority-support") is None
    assert gateway.call_log == [("get_property", "ok")]


def test_set_property_puts_the_json_value(rsps, site, gateway):
    value = {"level": "L1", "due_at": "2025-03-04T12:00:00+00:00"}
    rsps.put(f"{site.url}/rest/api/2/issue/PS-1/properties/priority-support", status=201,
             match=[auth(site), matchers.json_params_matcher(value)])
    gateway.set_property("PS-1", "priority-support", value)


def test_property_names_are_escaped_in_the_path(rsps, site, gateway):
    rsps.put(f"{site.url}/rest/api/2/issue/PS-1/properties/a%2Fb%20c", status=200)
    gateway.set_property("PS-1", "a/b c", False)  # a falsy JSON value is still a value
    assert rsps.calls[0].request.body == b"false"


def test_set_property_refuses_none(rsps, gateway):
    with pytest.raises(ValueError, match="delete_property"):
        gateway.set_property("PS-1", "priority-support", None)
    assert gateway.calls == 0


@pytest.mark.parametrize("status", [204, 404])
def test_delete_property_succeeds_whether_or_not_it_was_there(rsps, site, gateway, status):
    rsps.delete(f"{site.url}/rest/api/2/issue/PS-1/properties/priority-support", status=status,
                match=[auth(site)])
    assert gateway.delete_property("PS-1", "priority-support") is None
    assert gateway.call_log == [("delete_property", "ok")]


def test_get_fields_uses_v2_on_both(rsps, site, gateway):
    fields = [{"id": "customfield_10100", "name": "Support Level", "custom": True}]
    rsps.get(f"{site.url}/rest/api/2/field", json=fields, match=[auth(site)])
    assert gateway.get_fields() == fields


def test_cloud_search_follows_next_page_tokens():
    gateway = JiraGateway(CLOUD)
    url = f"{CLOUD.url}/rest/api/2/search/jql"
    jql = 'project = PS AND "Support Level" is EMPTY'
    with responses.RequestsMock() as rsps:
        rsps.post(url, json={"issues": [{"key": "PS-1"}, {"key": "PS-2"}], "nextPageToken": "t2", "isLast": False},
                  match=[auth(CLOUD), matchers.json_params_matcher(
                      {"jql": jql, "fields": ["created"], "properties": ["priority-support"], "maxResults": 5})])
        rsps.post(url, json={"issues": [{"key": "PS-3"}], "isLast": True},
                  match=[matchers.json_params_matcher(
                      {"jql": jql, "fields": ["created"], "properties": ["priority-support"], "maxResults": 3,
                       "nextPageToken": "t2"})])
        found = gateway.search(jql, properties=["priority-support"], limit=5)
    assert [i["key"] for i in found] == ["PS-1", "PS-2", "PS-3"]
    assert gateway.call_log == [("search", "ok"), ("search", "ok")]


def test_cloud_search_stops_at_the_limit():
    gateway = JiraGateway(CLOUD)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{CLOUD.url}/rest/api/2/search/jql",
                  json={"issues": [{"key": "PS-1"}, {"key": "PS-2"}], "nextPageToken": "more"},
                  match=[matchers.json_params_matcher({"jql": "project = PS", "maxResults": 2,
                                                       "fields": ["created", "updated"]})])
        found = gateway.search("project = PS", fields=("created", "updated"), limit=2)
    assert [i["key"] for i in found] == ["PS-1", "PS-2"]
    assert gateway.calls == 1


def test_datacenter_search_pages_with_start_at():
    gateway = JiraGateway(DATACENTER)
    url = f"{DATACENTER.url}/rest/api/2/search"
    common = {"jql": "project = PS order by created", "fields": "created", "properties": "priority-support"}
    with responses.RequestsMock() as rsps:
        rsps.get(url, json={"startAt": 0, "total": 3, "issues": [{"key": "PS-1"}, {"key": "PS-2"}]},
                 match=[auth(DATACENTER),
                        matchers.query_param_matcher({**common, "startAt": "0", "maxResults": str(PAGE_SIZE)})])
        rsps.get(url, json={"startAt": 2, "total": 3, "issues": [{"key": "PS-3"}]},
                 match=[matchers.query_param_matcher({**common, "startAt": "2", "maxResults": str(PAGE_SIZE - 2)})])
        found = gateway.search("project = PS order by created", properties=["priority-support"], limit=PAGE_SIZE)
    assert [i["key"] for i in found] == ["PS-1", "PS-2", "PS-3"]


def test_search_rejects_bad_arguments_before_calling(rsps, gateway):
    with pytest.raises(ValueError, match="JQL"):
        gateway.search("  ")
    with pytest.raises(ValueError, match="limit"):
        gateway.search("project = PS", limit=0)
    with pytest.raises(TypeError, match="sequence of names"):
        gateway.search("project = PS", fields="created")
    assert gateway.calls == 0


def test_deployment_and_settings():
    assert JiraGateway(CLOUD).deployment == "cloud"
    assert JiraGateway(DATACENTER).deployment == "datacenter"
    with pytest.raises(ValueError, match="JIRA_URL"):
        JiraGateway.from_settings(Settings(redis_url="redis://localhost/0"))
    settings = Settings.from_env({"JIRA_URL": "https://jira.acme.example", "JIRA_PAT": DC_PAT_FOR_ENV})
    assert JiraGateway.from_settings(settings).deployment == "datacenter"


@pytest.mark.parametrize("site, problem", [
    (JiraSite(url="jira.acme.example", deployment="datacenter", personal_access_token="p"), "http"),
    (JiraSite(url="https://u:p@jira.acme.example", deployment="datacenter", personal_access_token="p"),
     "credentials"),
    (JiraSite(url="https://acme.atlassian.net", deployment="cloud", email="bot@acme.example"), "API token"),
    (JiraSite(url="https://jira.acme.example", deployment="datacenter"), "personal access token"),
    (JiraSite(url="https://jira.acme.example", deployment="server", personal_access_token="p"), "deployment"),
    (JiraSite(url="https://jira.acme.example", deployment="datacenter", personal_access_token="p",
              timeout=0), "timeout"),
])
def test_unusable_sites_are_refused_with_the_reason(site, problem):
    with pytest.raises(ValueError, match=problem):
        JiraGateway(site)


def test_a_session_cannot_smuggle_in_urllib3_retries(site):
    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=Retry(total=5, status_forcelist=[429, 503])))
    JiraGateway(site, session=session)
    assert session.get_adapter(f"{site.url}/rest/api/2/field").max_retries.total == 0


# -- failures: mapped, counted, and never retried inside the call ------------------------------

# (operation, how to call it, HTTP method, path under the site URL)
CALLS = [
    ("get_issue", lambda g: g.get_issue("PS-1"), "GET", "/rest/api/2/issue/PS-1"),
    ("edit_issue", lambda g: g.edit_issue("PS-1", fields={"summary": "x"}), "PUT", "/rest/api/2/issue/PS-1"),
    ("add_internal_comment", lambda g: g.add_internal_comment("PS-1", "hi"), "POST",
     "/rest/servicedeskapi/request/PS-1/comment"),
    ("get_comments", lambda g: g.get_comments("PS-1"), "GET", "/rest/servicedeskapi/request/PS-1/comment"),
    ("get_property", lambda g: g.get_property("PS-1", "p"), "GET", "/rest/api/2/issue/PS-1/properties/p"),
    ("set_property", lambda g: g.set_property("PS-1", "p", {"a": 1}), "PUT", "/rest/api/2/issue/PS-1/properties/p"),
    ("delete_property", lambda g: g.delete_property("PS-1", "p"), "DELETE", "/rest/api/2/issue/PS-1/properties/p"),
    ("get_fields", lambda g: g.get_fields(), "GET", "/rest/api/2/field"),
    ("get_sla", lambda g: g.get_sla("PS-1"), "GET", "/rest/servicedeskapi/request/PS-1/sla"),
    ("search", lambda g: g.search("project = PS"), None, None),  # path depends on the deployment
]
FAILURES = [
    ("429 Retry-After", dict(status=429, headers={"Retry-After": "1"}), JiraRetryLater, "retry_later"),
    ("429 bare", dict(status=429), JiraRetryLater, "retry_later"),
    ("503 Retry-After", dict(status=503, headers={"Retry-After": "1"}), JiraRetryLater, "retry_later"),
    ("503 bare", dict(status=503), JiraUnavailable, "unavailable"),
    ("500", dict(status=500, json={"errorMessages": ["boom"]}), JiraUnavailable, "unavailable"),
    ("502 html", dict(status=502, body="<html>Bad gateway</html>"), JiraUnavailable, "unavailable"),
    ("connection refused", dict(body=requests.ConnectionError("refused")), JiraUnavailable, "unavailable"),
    ("read timeout", dict(body=requests.ReadTimeout("read timed out")), JiraUnavailable, "unavailable"),
    ("connect timeout", dict(body=requests.ConnectTimeout("connect timed out")), JiraUnavailable, "unavailable"),
    ("400", dict(status=400, json={"errorMessages": ["bad"], "errors": {}}), JiraRejected, "rejected"),
    ("401", dict(status=401, body="Unauthorized"), JiraRejected, "rejected"),
]


def _target(site: JiraSite, method: str | None, path: str | None) -> tuple[str, str]:
    if method is not None:
        return method, f"{site.url}{path}"
    if site.is_cloud:
        return "POST", f"{site.url}/rest/api/2/search/jql"
    return "GET", f"{site.url}/rest/api/2/search"


@pytest.mark.parametrize("failure, response, error, outcome", FAILURES, ids=[f[0] for f in FAILURES])
@pytest.mark.parametrize("operation, call, method, path", CALLS, ids=[c[0] for c in CALLS])
def test_every_failure_is_one_request_mapped_and_counted(site, gateway, operation, call, method, path,
                                                         failure, response, error, outcome):
    method, url = _target(site, method, path)
    before = sample(operation, outcome), sample(operation)
    with responses.RequestsMock() as rsps:
        rsps.add(method, url, **response)
        with pytest.raises(error):
            call(gateway)
        assert len(rsps.calls) == 1  # no hidden retry by the library, urllib3 or us
    assert gateway.calls == 1 and gateway.call_log == [(operation, outcome)]
    assert sample(operation, outcome) == before[0] + 1
    assert sample(operation) == before[1] + 1


def test_retry_after_in_seconds(rsps, site, gateway):
    rsps.get(f"{site.url}/rest/api/2/field", status=429, headers={"Retry-After": "37"})
    with pytest.raises(JiraRetryLater) as caught:
        gateway.get_fields()
    assert caught.value.retry_after == 37.0
    assert "GET /rest/api/2/field" in str(caught.value)


def test_retry_after_as_an_http_date(rsps, site, gateway):
    when = format_datetime(NOW + timedelta(seconds=120), usegmt=True)
    rsps.get(f"{site.url}/rest/api/2/field", status=429, headers={"Retry-After": when})
    with time_machine.travel(NOW, tick=False), pytest.raises(JiraRetryLater) as caught:
        gateway.get_fields()
    assert caught.value.retry_after == 120.0


def test_429_without_retry_after_uses_the_rate_limit_reset_then_a_default(rsps, site, gateway):
    url = f"{site.url}/rest/api/2/field"
    rsps.get(url, status=429, headers={"X-RateLimit-Reset": "2025-03-04T10:01Z"})
    rsps.get(url, status=429)
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(JiraRetryLater) as first:
            gateway.get_fields()
        with pytest.raises(JiraRetryLater) as second:
            gateway.get_fields()
    assert (first.value.retry_after, second.value.retry_after) == (60.0, 10.0)


def test_503_with_retry_after_is_retry_later(rsps, site, gateway):
    rsps.put(f"{site.url}/rest/api/2/issue/PS-1", status=503, headers={"Retry-After": "5"})
    with pytest.raises(JiraRetryLater) as caught:
        gateway.edit_issue("PS-1", fields={"summary": "x"})
    assert caught.value.retry_after == 5.0


def test_400_names_the_rejected_fields(rsps, site, gateway):
    rsps.put(f"{site.url}/rest/api/2/issue/PS-1", status=400, json={
        "errorMessages": [],
        "errors": {"customfield_1": "Field 'customfield_1' cannot be set. It is not on the appropriate screen, "
                                    "or unknown.",
                   "priority": "Priority name 'Urgent' is not valid"},
    })
    with pytest.raises(JiraRejected) as caught:
        gateway.edit_issue("PS-1", fields={"customfield_1": "L2", "priority": {"name": "Urgent"}})
    error = caught.value
    assert error.status == 400
    assert error.field_errors == {
        "customfield_1": "Field 'customfield_1' cannot be set. It is not on the appropriate screen, or unknown.",
        "priority": "Priority name 'Urgent' is not valid",
    }
    assert str(error).startswith(
        "Jira rejected PUT /rest/api/2/issue/PS-1 (400): Field 'customfield_1' cannot be set.")
    assert "priority: Priority name 'Urgent' is not valid" in str(error)


def test_service_desk_rejection_keeps_its_message(rsps, site, gateway):
    rsps.post(f"{site.url}/rest/servicedeskapi/request/PS-9/comment", status=404,
              json={"errorMessage": "Request does not exist or you do not have permission to see it."})
    with pytest.raises(JiraRejected) as caught:
        gateway.add_internal_comment("PS-9", "hi")
    assert caught.value.status == 404
    assert caught.value.error_messages == ["Request does not exist or you do not have permission to see it."]


def test_quiet_edit_refused_for_permissions_says_why(rsps, site, gateway):
    rsps.put(f"{site.url}/rest/api/2/issue/PS-1", status=403,
             json={"errorMessages": ["To discard the user notification either admin or project admin "
                                     "permissions are required."]})
    with pytest.raises(JiraRejected, match="notify_users=True") as caught:
        gateway.edit_issue("PS-1", fields={"summary": "x"})
    assert caught.value.status == 403


def test_a_2xx_that_is_not_json_is_unavailable(rsps, site, gateway):
    rsps.get(f"{site.url}/rest/api/2/issue/PS-1", body="<html>Maintenance</html>", content_type="text/html")
    with pytest.raises(JiraUnavailable, match="not the expected JSON"):
        gateway.get_issue("PS-1")
    assert gateway.call_log == [("get_issue", "unavailable")]


def test_rejections_are_logged_in_one_clear_line(rsps, site, gateway, caplog):
    rsps.get(f"{site.url}/rest/api/2/issue/PS-404", status=404,
             json={"errorMessages": ["Issue does not exist or you do not have permission to see it."]})
    with caplog.at_level(logging.WARNING, logger="worker.jira.gateway"), pytest.raises(JiraRejected):
        gateway.get_issue("PS-404")
    [record] = [r for r in caplog.records if r.name == "worker.jira.gateway"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == ("Jira rejected GET /rest/api/2/issue/PS-404 (404): "
                                   "Issue does not exist or you do not have permission to see it.")
    assert record.jira_operation == "get_issue" and record.jira_outcome == "rejected"


# -- secrets ------------------------------------------------------------------------------------


def test_no_secret_in_errors_or_logs(site, gateway, caplog):
    secret = site.api_token or site.personal_access_token
    errors = []
    with caplog.at_level(logging.DEBUG), responses.RequestsMock() as rsps:
        rsps.get(f"{site.url}/rest/api/2/field", json=[])
        # Pathological answers that echo the credential back must still not leak it.
        rsps.get(f"{site.url}/rest/api/2/issue/PS-1", status=401, body=f"bad token {secret}")
        rsps.get(f"{site.url}/rest/api/2/issue/PS-2", status=400,
                 json={"errorMessages": [f"token {secret} invalid"], "errors": {"f": secret}})
        rsps.get(f"{site.url}/rest/api/2/issue/PS-3", body=requests.ConnectionError(f"proxy said {secret}"))
        rsps.get(f"{site.url}/rest/api/2/issue/PS-4", status=500, body=f"trace {secret}")
        gateway.get_fields()
        for key in ("PS-1", "PS-2", "PS-3", "PS-4"):
            with pytest.raises((JiraRejected, JiraUnavailable)) as caught:
                gateway.get_issue(key)
            errors.append(caught.value)
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [caplog.text]
    texts += [m for e in errors if isinstance(e, JiraRejected) for m in [*e.error_messages, *e.field_errors.values()]]
    assert any("***" in t for t in texts)  # the echoes were there, and redacted
    for text in texts:
        for leaked in SECRETS:
            assert leaked not in text


def test_label_update_validates_labels():
    assert label_update(["a"], ["b", "c"]) == [{"add": "a"}, {"remove": "b"}, {"remove": "c"}]
    with pytest.raises(ValueError, match="without spaces"):
        label_update(["two words"])
    assert json.dumps(label_update()) == "[]"
