"""Property fuzz of the worker's body readers: any JSON value, or a real body with odd values
anywhere, gives facts or a classification; the only exception is the documented ValueError of
extract_facts (an unreadable creation time)."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz_strategies import FUZZ, REAL_CREATED, json_values, reader_bodies
from tests.policy_helpers import sample_records, shipped
from worker.policy.decision import decide
from worker.policy.entitlement import ReasonCode
from worker.policy.facts import FACT_CHARS, extract_facts
from worker.policy.vocabulary import normalise_sen
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


# Issue 12: what cannot be read is never guessed. Any value in the SEN or reporter position of a
# real body: SEN_MISSING only for an empty SEN, REPORTER_NOT_ADMIN only for a reporter whose
# identities are known and whose email is known or not needed.
NOW = datetime(2026, 11, 26, 10, 5, tzinfo=timezone.utc)


def _with_field(name: str, value):
    body = copy.deepcopy(REAL_CREATED)
    body["issue"]["fields"][name] = value
    return body


def _decided(body):
    facts = extract_facts(body, shipped())
    return facts, decide(facts, sample_records().get(normalise_sen(facts.sen)), shipped(), NOW)


def _empty(value) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


@FUZZ
@given(value=json_values)
def test_an_odd_sen_is_never_guessed_missing(value):
    facts, decision = _decided(_with_field("customfield_10100", value))
    if ReasonCode.SEN_MISSING in decision.reason_codes:
        assert _empty(value) or (isinstance(value, list) and all(_empty(v) for v in value)), value
    if "sen" in facts.unreadable:
        assert decision.outcome != "entitled" and ReasonCode.SEN_MISSING not in decision.reason_codes


@FUZZ
@given(value=json_values)
def test_an_odd_reporter_is_never_guessed_not_admin(value):
    facts, decision = _decided(_with_field("reporter", value))
    if ReasonCode.REPORTER_NOT_ADMIN in decision.reason_codes:
        reporter = facts.reporter
        assert value is None or (reporter is not None and reporter.identities() and reporter.email), value
    assert decision.outcome in ("entitled", "not_entitled", "undecided")
