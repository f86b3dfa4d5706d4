"""The simulator's JQL subset, straight on the store (no HTTP)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jirasim import catalogue as cat
from jirasim.jql import JqlError, parse, tokenize
from jirasim.jql_fields import parse_date
from jirasim.shapes import AUTOMATION_USER, Site, user_for_email
from jirasim.store import Store

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=timezone.utc)


def make_store() -> Store:
    store = Store(Site("cloud"))
    store.clock.pin(NOW)
    return store


def add(store: Store, minutes_ago: float, reporter: str = "c@example.com", **values) -> str:
    body = {"serviceDeskId": "1", "requestTypeId": "1",
            "requestFieldValues": {"summary": values.pop("summary", "s"), **values}}
    customer = store.register_user(user_for_email(reporter, customer=True))
    return store.create_request(body, customer, created=NOW - timedelta(minutes=minutes_ago)).key


def keys(store: Store, jql: str) -> list[str]:
    found, _ = store.search(jql)
    return [i.key for i in found]


@pytest.fixture
def store() -> Store:
    s = make_store()
    add(s, 5, summary="Jira down", **{cat.SEVERITY_FIELD: {"value": "L1 - Production down"}})   # PS-1
    add(s, 60 * 30, reporter="ops-admin@globex.example", summary="Slow search")                 # PS-2
    add(s, 1, **{cat.SEN_FIELD: "SEN-10000001"})                                                # PS-3
    s.edit("PS-2", {"update": {"labels": [{"add": "priority-support"}, {"add": "ps-l2"}]}}, AUTOMATION_USER)
    s.set_property("PS-3", "priority-support", {"level": "L3", "flags": ["a", "b"], "score": 2}, size=10)
    s.set_status("PS-1", "Resolved")
    return s


def test_and_binds_tighter_than_or(store):
    assert keys(store, "key = PS-1 OR key = PS-2 AND labels = nope ORDER BY key") == ["PS-1"]
    assert keys(store, "(key = PS-1 OR key = PS-2) AND labels = ps-l2") == ["PS-2"]
    assert keys(store, "NOT key = PS-1 ORDER BY key") == ["PS-2", "PS-3"]


def test_not_equal_and_not_in_never_match_an_empty_field(store):
    assert keys(store, "labels != ps-l2") == []
    assert keys(store, "labels is EMPTY ORDER BY key") == ["PS-1", "PS-3"]
    assert keys(store, "labels not in (x, y)") == ["PS-2"]
    assert keys(store, "labels in (x, ps-l2, EMPTY) ORDER BY key") == ["PS-1", "PS-2", "PS-3"]
    assert keys(store, 'cf[10101] != "L2 - Serious degradation"') == ["PS-1"]


def test_dates_relative_absolute_and_now(store):
    assert keys(store, 'created >= "-10m" ORDER BY created') == ["PS-1", "PS-3"]
    assert keys(store, "created < -1d") == ["PS-2"]
    assert keys(store, 'created >= "-1w 2d" ORDER BY key DESC') == ["PS-3", "PS-2", "PS-1"]
    assert keys(store, 'created > "2026/06/10 11:56" ORDER BY key') == ["PS-3"]
    assert keys(store, "created >= 2026-06-10 ORDER BY key") == ["PS-1", "PS-3"]
    assert keys(store, "updated <= now() ORDER BY key") == ["PS-1", "PS-2", "PS-3"]


def test_statuses_categories_and_custom_fields_by_name_or_id(store):
    assert keys(store, "statusCategory = Done") == ["PS-1"]
    assert keys(store, 'statusCategory in ("To Do", indeterminate) ORDER BY key') == ["PS-2", "PS-3"]
    assert keys(store, 'status = "waiting for SUPPORT" ORDER BY key') == ["PS-2", "PS-3"]
    assert keys(store, 'Severity = "L1 - Production down"') == ["PS-1"]
    assert keys(store, "cf[10101] = 10200") == ["PS-1"]
    assert keys(store, 'SEN ~ "10000001"') == ["PS-3"]
    assert keys(store, 'summary ~ "slow"') == ["PS-2"]
    assert keys(store, "reporter = ops-admin@globex.example") == ["PS-2"]
    assert keys(store, "priority = Medium AND issuetype = \"Service Request\" ORDER BY key") == ["PS-1", "PS-2", "PS-3"]


def test_issue_properties_with_and_without_a_path(store):
    assert keys(store, "issue.property[priority-support] IS NOT EMPTY") == ["PS-3"]
    assert keys(store, "issue.property[priority-support] is EMPTY ORDER BY key") == ["PS-1", "PS-2"]
    assert keys(store, "issue.property[priority-support].level = L3") == ["PS-3"]
    assert keys(store, "issue.property[priority-support].flags in (b, c)") == ["PS-3"]
    assert keys(store, "issue.property[priority-support].score > 1") == ["PS-3"]
    assert keys(store, "issue.property[priority-support].level != L3") == []


@pytest.mark.parametrize("jql, message", [
    ("project = PS AND", "Error in the JQL Query: Expecting a field name but got end of the query."),
    ("project PS", "Error in the JQL Query: Expecting operator but got 'PS'."),
    ("project = PS ORDER created", "Error in the JQL Query: Expecting 'by' but got 'created'."),
    ("(project = PS", "Error in the JQL Query: Expecting ')' but got end of the query."),
    ("summary = x", "The operator '=' is not supported by the 'summary' field."),
    ("labels > a", "The operator '>' is not supported by the 'labels' field."),
    ("status = Done", "The value 'Done' does not exist for the field 'status'."),
    ("key = PS-99", "An issue with key 'PS-99' does not exist for field 'key'."),
    ("Severity = L9", "The option 'L9' for field 'Severity' does not exist."),
    ("assignee = bob", "Field 'assignee' does not exist or you do not have permission to view it."),
    ("created >= startOfDay()", "Error in the JQL Query: the Jira simulator supports only the JQL function now()"),
    ("project = now()", "The function 'now' is not supported by the field 'project'."),
    ("project = PS ORDER BY summary", "Error in the JQL Query: the Jira simulator cannot sort by 'summary'"),
    ("priority > Low", "Error in the JQL Query: the Jira simulator does not support the operator '>'"),
    ('created >= "-99999999999d"', "Date value '-99999999999d' for field 'created' is invalid."),
    ("project = PS & x", "Error in the JQL Query: The character '&' is a reserved JQL character."),
    ('summary ~ "open', "Error in the JQL Query: The quoted string 'open' has not been completed."),
])
def test_refused_jql_names_the_problem_the_way_jira_does(store, jql, message):
    with pytest.raises(JqlError) as caught:
        store.search(jql)
    assert str(caught.value).startswith(message)


def test_syntax_errors_say_where():
    with pytest.raises(JqlError, match=r"\(line 2, character 3\)"):
        parse("project = PS\nOR", NOW)


def test_tokenizer_unescapes_quoted_strings():
    assert [t.text for t in tokenize(r'summary ~ "say \"hi\""')][:3] == ["summary", "~", 'say "hi"']


def test_an_empty_query_matches_everything_newest_key_first(store):
    assert keys(store, "") == ["PS-3", "PS-2", "PS-1"]
    assert not parse("", NOW).bounded and parse("project = PS", NOW).bounded


@settings(max_examples=60, deadline=None)
@given(ages=st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=8),
       window=st.integers(min_value=1, max_value=5000), unit=st.sampled_from(["m", "h", "d"]))
def test_created_since_a_period_matches_exactly_the_issues_that_young(ages, window, unit):
    s = make_store()
    created = {add(s, age): NOW - timedelta(minutes=age) for age in ages}
    since = NOW - window * {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}[unit]
    expected = sorted((k for k, at in created.items() if at >= since), key=lambda k: int(k[3:]))
    assert keys(s, f'project = PS AND created >= "-{window}{unit}" ORDER BY key ASC') == expected


@given(st.text(max_size=12))
def test_parse_date_never_crashes_and_reads_only_dates_or_periods(text):
    moment = parse_date(text, NOW)
    assert moment is None or moment.tzinfo is not None
