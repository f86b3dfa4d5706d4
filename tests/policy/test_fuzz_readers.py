"""Property fuzz of the worker's body readers: any JSON value, or a real body with odd values
anywhere, gives facts or a classification; the only exception is the documented ValueError of
extract_facts (an unreadable creation time)."""
from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz_strategies import FUZZ, json_values, reader_bodies
from tests.policy.helpers import shipped
from worker.policy.facts import FACT_CHARS, extract_facts
from worker.reminders.events import ChangeRules, body_field_id, classify, needs_no_task

RULES = ChangeRules.from_config(shipped(), ("Waiting for customer",))
EVENTS = st.sampled_from(["jira:issue_updated", "comment_created", "jira:issue_created", "other"])
change_bodies = st.one_of(
    st.builds(lambda event, parts: {"webhookEvent": event, **parts}, EVENTS,
              st.fixed_dictionaries({}, optional={"issue": json_values, "changelog": json_values,
                                                  "comment": json_values})),
    st.builds(lambda event, issue, items: {"webhookEvent": event, "issue": issue, "changelog": {"items": items}},
              EVENTS, st.fixed_dictionaries({"key": json_values}, optional={"fields": json_values}),
              st.lists(st.dictionaries(st.sampled_from(["field", "fieldId", "fieldtype", "toString"]),
                                       json_values), max_size=4)),
)


@FUZZ
@given(body=reader_bodies)
def test_extract_facts_reads_any_body(body):
    try:
        facts = extract_facts(body, shipped())
    except ValueError as exc:
        assert "created" in str(exc) or "timestamp" in str(exc) or "UTC offset" in str(exc)
        return
    texts = [facts.issue_key, facts.sen, facts.product, facts.version, facts.summary, facts.environment]
    assert all(value is None or (isinstance(value, str) and len(value) <= FACT_CHARS) for value in texts)


@FUZZ
@given(body=st.one_of(change_bodies, reader_bodies.filter(lambda b: isinstance(b, Mapping))))
def test_classify_and_needs_no_task_read_any_change_body(body):
    change = classify(body, RULES, body_field_id)
    assert change.issue is None or isinstance(change.issue, str)
    why = needs_no_task(body, RULES)
    assert why is None or isinstance(why, str)
