"""Entitlement rules (docs/POLICY.md section 4): one table row per reason code, bundling, SEN forms."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.policy_helpers import GLOBEX_ADMIN, config_with, facts, new_record, record, shipped
from worker.config import ConfigError
from worker.policy.entitlement import ReasonCode as R
from worker.policy.entitlement import check_entitlement, normalise_sen
from worker.policy.facts import Reporter, extract_facts

INITECH = Reporter(email="it@initech.example")


def codes(request, entitlement, config=None):
    return [reason.code for reason in check_entitlement(request, entitlement, config or shipped())]


# One row per reason code (and per way of failing it): the request, the record, the codes.
REASON_CASES = {
    "entitled": (facts(), record("SEN-10000001"), []),
    "SEN_MISSING: no SEN": (facts(sen=None), None, [R.SEN_MISSING]),
    "SEN_UNKNOWN: not in the records": (facts(sen="SEN-99999999"), None, [R.SEN_UNKNOWN]),
    "SEN_UNKNOWN: not a SEN at all": (facts(sen="our licence"), None, [R.SEN_UNKNOWN]),
    "NOT_PRIORITY: server, not purchased": (
        facts(sen="SEN-10000002", reporter=INITECH), record("SEN-10000002"), [R.NOT_PRIORITY]),
    "NOT_PRIORITY: cloud, not purchased": (
        facts(sen="SEN-10000009", product="Jira Service Management", version=None,
              reporter=Reporter(email="desk@hooli.example")), record("SEN-10000009"), [R.NOT_PRIORITY]),
    "MAINTENANCE_EXPIRED": (
        facts(sen="SEN-10000003", product="Confluence", version="9.2.1",
              reporter=Reporter(username="umbrella.admin")), record("SEN-10000003"), [R.MAINTENANCE_EXPIRED]),
    "PRODUCT_NOT_COVERED: not on the SEN": (facts(product="Confluence", version=None), record("SEN-10000001"),
                                            [R.PRODUCT_NOT_COVERED]),
    "PRODUCT_NOT_COVERED: not a covered product": (facts(product="Other", version=None), record("SEN-10000001"),
                                                   [R.PRODUCT_NOT_COVERED]),
    "PRODUCT_NOT_COVERED: none named on a multi-product SEN": (
        facts(sen="SEN-10000008", product=None, version=None, reporter=Reporter(username="tyrell.admin")),
        record("SEN-10000008"), [R.PRODUCT_NOT_COVERED]),
    "REPORTER_NOT_ADMIN: someone else": (facts(reporter=Reporter(email="dev@globex.example")),
                                         record("SEN-10000001"), [R.REPORTER_NOT_ADMIN]),
    "REPORTER_NOT_ADMIN: no reporter": (facts(reporter=None), record("SEN-10000001"), [R.REPORTER_NOT_ADMIN]),
    "UNSUPPORTED_RELEASE: release candidate": (facts(version="10.4.0-rc1"), record("SEN-10000001"),
                                               [R.UNSUPPORTED_RELEASE]),
    "UNSUPPORTED_RELEASE: beta": (facts(version="11.0.0 Beta2"), record("SEN-10000001"), [R.UNSUPPORTED_RELEASE]),
    "UNSUPPORTED_RELEASE: milestone": (facts(version="10.4.0-m3"), record("SEN-10000001"), [R.UNSUPPORTED_RELEASE]),
    "UNSUPPORTED_RELEASE: snapshot": (facts(version="10.4.0-SNAPSHOT"), record("SEN-10000001"),
                                      [R.UNSUPPORTED_RELEASE]),
    "UNSUPPORTED_RELEASE: end of life": (facts(version="9.4.1"), record("SEN-10000001"), [R.UNSUPPORTED_RELEASE]),
    "UNSUPPORTED_RELEASE: older than the table": (facts(version="8.13.0"), record("SEN-10000001"),
                                                  [R.UNSUPPORTED_RELEASE]),
    "OUT_OF_SCOPE: by request type name": (facts(request_type_name="Request product training", request_type_id="21"),
                                           record("SEN-10000001"), [R.OUT_OF_SCOPE]),
    "OUT_OF_SCOPE: by request type, any case": (facts(request_type_name="suggest a NEW feature"),
                                                record("SEN-10000001"), [R.OUT_OF_SCOPE]),
    # Cannot decide: the rule needs a fact that is unreadable or unknown (never a rejection).
    "FACT_UNREADABLE: a SEN field holding an object, not SEN_MISSING": (
        facts(sen=None, unreadable={"sen": "an object with keys id, self"}), None, [R.FACT_UNREADABLE]),
    "REPORTER_UNVERIFIED: a Cloud reporter whose email is hidden, not REPORTER_NOT_ADMIN": (
        facts(reporter=Reporter(account_id="557058:ffff", display_name="Hidden Email")), record("SEN-10000001"),
        [R.REPORTER_UNVERIFIED]),
    "RELEASE_UNJUDGED: a line between an ended and a supported one": (
        facts(version="9.17.1"), record("SEN-10000001"), [R.RELEASE_UNJUDGED]),
}


@pytest.mark.parametrize("request_facts, entitlement, expected", REASON_CASES.values(), ids=REASON_CASES.keys())
def test_each_reason_code(request_facts, entitlement, expected):
    assert codes(request_facts, entitlement) == expected


def test_every_reason_code_has_a_case():
    covered = {code for _, _, expected in REASON_CASES.values() for code in expected}
    assert covered == set(R)


def test_a_request_failing_several_rules_reports_all_of_them_in_policy_order():
    request = facts(sen="SEN-10000002", product="Confluence", version="9.0.0-rc1",
                    reporter=Reporter(email="intern@initech.example"), request_type_name="Request product training")
    assert codes(request, record("SEN-10000002")) == [
        R.NOT_PRIORITY, R.PRODUCT_NOT_COVERED, R.REPORTER_NOT_ADMIN, R.UNSUPPORTED_RELEASE, R.OUT_OF_SCOPE]


def test_rules_that_need_no_record_are_still_checked_without_a_sen():
    request = facts(sen=None, product="Other", version="10.4.0-beta1", request_type_name="Ask a development question")
    assert codes(request, None) == [R.SEN_MISSING, R.PRODUCT_NOT_COVERED, R.UNSUPPORTED_RELEASE, R.OUT_OF_SCOPE]


def test_expired_maintenance_and_unbundled_product_are_both_reported():
    request = facts(sen="SEN-10000004", product="Bitbucket", version="9.4.0", reporter=Reporter(email="scm@soylent.example"))
    assert codes(request, record("SEN-10000004", maintenance_end=date(2026, 1, 31))) == [
        R.NOT_PRIORITY, R.MAINTENANCE_EXPIRED]


def test_reasons_explain_themselves_in_words():
    request = facts(sen="SEN-10000004", product="Bitbucket", version="9.4.0", reporter=Reporter(email="x@example.com"))
    details = {r.code: r.detail for r in check_entitlement(request, record("SEN-10000004"), shipped())}
    assert details[R.NOT_PRIORITY] == ("Priority Support was not purchased for SEN-10000004, and Bitbucket "
                                       "bundles it only from 251 users (this licence: 100)")
    assert details[R.REPORTER_NOT_ADMIN] == "x@example.com is not an admin contact of SEN-10000004"


# --- bundling: each rule of the offering ----------------------------------------------------

BUNDLING = [
    # deployment, product, users, remote agents, purchased, entitled?
    ("data-center", "Jira Software", None, None, False, True),
    ("data-center", "Jira Service Management", None, None, False, True),
    ("data-center", "Confluence", None, None, False, True),
    ("data-center", "Crowd", None, None, False, True),
    ("data-center", "Jira Core", 500, None, False, False),
    ("data-center", "Fisheye", 500, None, False, False),
    ("data-center", "Bitbucket", 250, None, False, False),
    ("data-center", "Bitbucket", 251, None, False, True),
    ("data-center", "Bitbucket", None, None, False, False),
    ("data-center", "Bamboo", None, 99, False, False),
    ("data-center", "Bamboo", None, 100, False, True),
    ("server", "Jira Software", 5000, None, False, False),
    ("cloud", "Confluence", 5000, None, False, False),
    ("server", "Fisheye", 10, None, True, True),
    ("data-center", "Bitbucket", 10, None, True, True),
]


@pytest.mark.parametrize("deployment, product, users, agents, purchased, entitled", BUNDLING)
def test_bundling_rules(deployment, product, users, agents, purchased, entitled):
    entitlement = new_record(deployment=deployment, products=[product], users=users, remote_agents=agents,
                             priority_purchased=purchased)
    request = facts(sen=entitlement.sen, product=product, version=None, reporter=Reporter(email="admin@example.com"))
    assert codes(request, entitlement) == ([] if entitled else [R.NOT_PRIORITY])


def test_bundling_is_judged_on_the_requested_product_of_a_multi_product_sen():
    entitlement = new_record(products=["Bitbucket", "Jira Software"], users=100)
    admin = Reporter(email="admin@example.com")
    assert codes(facts(sen=entitlement.sen, product="Jira Software", version=None, reporter=admin), entitlement) == []
    assert codes(facts(sen=entitlement.sen, product="Bitbucket", version=None, reporter=admin), entitlement) == [
        R.NOT_PRIORITY]


def test_bundling_thresholds_come_from_the_config():
    config = config_with({"products": {"bundled": {"Bitbucket": {"min_users": 50}}}})
    entitlement = new_record(products=["Bitbucket"], users=100)
    request = facts(sen=entitlement.sen, product="Bitbucket", version=None, reporter=Reporter(email="admin@example.com"))
    assert codes(request, entitlement, config) == []
    assert codes(request, entitlement) == [R.NOT_PRIORITY]


# --- the finer points of single rules -----------------------------------------------------------


@pytest.mark.parametrize("created, expired", [
    (datetime(2026, 11, 26, 12, 59, tzinfo=timezone.utc), False),  # 23:59 on the 26th in Sydney
    (datetime(2026, 11, 26, 13, 0, tzinfo=timezone.utc), True),  # 00:00 on the 27th in Sydney
])
def test_maintenance_is_judged_on_the_customers_local_date(created, expired):
    entitlement = record("SEN-10000003", maintenance_end=date(2026, 11, 26))
    request = facts(sen="SEN-10000003", created=created, product="Confluence", version=None,
                    reporter=Reporter(username="umbrella.admin"))
    assert codes(request, entitlement) == ([R.MAINTENANCE_EXPIRED] if expired else [])


@pytest.mark.parametrize("reporter", [
    Reporter(account_id="557058:11111111-aaaa-4bbb-8ccc-000000000001"),
    Reporter(email="OPS-Admin@Globex.example"),
    Reporter(username="globex.admin", key="JIRAUSER10001"),
    Reporter(username="someone", email="ops-admin@globex.example"),
])
def test_an_admin_is_recognised_by_any_identity(reporter):
    assert codes(facts(reporter=reporter), record("SEN-10000001")) == []


def test_a_single_product_sen_supplies_the_product_the_request_leaves_out():
    assert codes(facts(product=None), record("SEN-10000001")) == []


@pytest.mark.parametrize("version, expected", [
    ("10.3.2", []), ("9.12.4", [R.UNSUPPORTED_RELEASE]), ("v9.12.0", [R.UNSUPPORTED_RELEASE]),
    ("Jira 9.12.3", [R.UNSUPPORTED_RELEASE]), ("11.0.0", []), ("9.4", [R.UNSUPPORTED_RELEASE]), ("", []),
    # Lines the table lacks, judged by their neighbours: 9.5 and 9.11 lie between 9.4 and 9.12, both
    # past End of Life (issue 12: they used to pass); 9.17 between 9.12 (past) and 10.3 (supported)
    # cannot be judged; 10.4 is newer than the supported 10.3; 8.13 older than the oldest listed.
    ("9.5.0", [R.UNSUPPORTED_RELEASE]), ("9.11.2", [R.UNSUPPORTED_RELEASE]), ("9.17.0", [R.RELEASE_UNJUDGED]),
    ("10.4.1", []), ("8.13.0", [R.UNSUPPORTED_RELEASE]),
    # A version naming no release line is not guessed to be supported.
    ("latest", [R.RELEASE_UNJUDGED]),
])
def test_end_of_life_by_release_line(version, expected):
    # Jira Software: 8.20 EOL 2024-01-30, 9.4 2024-12-01, 9.12 2025-12-05, 10.3 2027-01-27; created 2026-11-26.
    assert codes(facts(version=version or None), record("SEN-10000001")) == expected


def test_a_missing_line_is_never_granted_once_an_older_tracked_line_is_past_end_of_life():
    # 9.5 on the day after 9.4's End of Life, while 9.12 is still supported: not granted, not rejected.
    request = facts(version="9.5.0", created=datetime(2024, 12, 2, 12, tzinfo=timezone.utc))
    judged = check_entitlement(request, record("SEN-10000001"), shipped())
    assert [r.code for r in judged] == [R.RELEASE_UNJUDGED]
    assert "9.4, released before it, reached End of Life on 2024-12-01" in judged[0].detail
    assert "add 9.5 to releases.end_of_life" in judged[0].detail
    # The day before, 9.4 still ran: so does the 9.5 after it.
    assert codes(replace(request, created=datetime(2024, 11, 30, 12, tzinfo=timezone.utc)),
                 record("SEN-10000001")) == []


def test_end_of_life_is_judged_on_the_customers_local_date():
    # 9.12 ends on 2025-12-05. 23:30 UTC that day is already 2025-12-06 00:30 in Amsterdam (Globex, EMEA):
    # the same instant written with +0000 and with +0100 gets one decision, the same as maintenance.
    config = shipped()
    body = lambda created: {"key": "PS-1", "fields": {  # noqa: E731
        "created": created, "customfield_10100": "SEN-10000001", "customfield_10102": {"value": "Jira Software"},
        "customfield_10103": "9.12.4", "reporter": {"accountId": GLOBEX_ADMIN.account_id}}}
    utc = extract_facts(body("2025-12-05T23:30:00.000+0000"), config)
    amsterdam = extract_facts(body("2025-12-06T00:30:00.000+0100"), config)
    assert utc.created == amsterdam.created
    assert codes(utc, record("SEN-10000001")) == codes(amsterdam, record("SEN-10000001")) == [R.UNSUPPORTED_RELEASE]
    # An hour earlier it is 2025-12-05 in Amsterdam, the last supported day, in both spellings.
    earlier = [extract_facts(body(t), config) for t in ("2025-12-05T22:30:00.000+0000", "2025-12-05T23:30:00.000+0100")]
    assert [codes(f, record("SEN-10000001")) for f in earlier] == [[], []]


def test_the_config_check_refuses_lines_that_end_out_of_order():
    # The neighbours' rule above holds only while later lines end no earlier than earlier ones.
    with pytest.raises(ConfigError, match=r"releases.end_of_life\['Jira Software'\]\['9.13'\]: 9.13 reaches "
                                          r"End of Life \(2025-01-01\) before 9.12 \(2025-12-05\)"):
        config_with({"releases": {"end_of_life": {"Jira Software": {"9.13": "2025-01-01"}}}})


def test_end_of_life_is_judged_at_creation():
    request = facts(version="10.3.2", created=datetime(2027, 1, 28, tzinfo=timezone.utc))
    assert codes(request, record("SEN-10000001")) == [R.UNSUPPORTED_RELEASE]


def test_out_of_scope_by_request_type_id_and_by_field():
    config = config_with({"out_of_scope": {"rules": [
        {"category": "training", "request_types": ["21"]},
        {"category": "non-english", "field": "customfield_10120", "values": ["Deutsch", "Français"]},
    ]}})
    assert codes(facts(request_type_name="Training", request_type_id="21"), record("SEN-10000001"), config) == [
        R.OUT_OF_SCOPE]
    german = facts(extra_fields={"customfield_10120": "deutsch"})
    assert codes(german, record("SEN-10000001"), config) == [R.OUT_OF_SCOPE]
    assert codes(facts(extra_fields={"customfield_10120": "English"}), record("SEN-10000001"), config) == []


def test_a_record_for_another_sen_is_a_programming_error():
    with pytest.raises(ValueError, match="record for SEN-10000002 given for SEN-10000001"):
        check_entitlement(facts(), record("SEN-10000002"), shipped())


# --- SEN normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["SEN-12345678", "SEN-L12345678", "sen-l12345678", "12345678", " SEN 12345678 ",
                                 "SEN12345678", "SEN-L-12345678", "SENL12345678"])
def test_accepted_sen_forms_normalise_to_one(raw):
    assert normalise_sen(raw) == "SEN-12345678"


@pytest.mark.parametrize("raw", [None, "", "SEN-", "ABC-12345678", "SEN-123", "SEN-1234567890123", "SEN-1234x678",
                                 "L12345678", "SEN-12345678-2"])
def test_anything_else_is_not_a_sen(raw):
    assert normalise_sen(raw) is None


@given(st.from_regex(r"[0-9]{4,12}", fullmatch=True), st.sampled_from(["SEN-", "SEN-L", "sen ", "", "Sen-l"]))
def test_normalisation_is_stable_and_idempotent(digits, prefix):
    normal = normalise_sen(prefix + digits)
    assert normal == f"SEN-{digits}"
    assert normalise_sen(normal) == normal
