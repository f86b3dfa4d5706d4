"""Entitlement rules (docs/POLICY.md section 4): one table row per reason code, bundling, SEN forms."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.policy.helpers import config_with, facts, new_record, record, shipped
from worker.policy.entitlement import ReasonCode as R
from worker.policy.entitlement import check_entitlement, normalise_sen
from worker.policy.facts import Reporter

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


@pytest.mark.parametrize("version, unsupported", [
    ("10.3.2", False), ("9.12.4", True), ("v9.12.0", True), ("9.17.0", False), ("11.0.0", False),
    ("9.4", True), ("latest", False), ("", False),
])
def test_end_of_life_table(version, unsupported):
    # Jira Software: 8.20 EOL 2024-01-30, 9.4 2024-12-01, 9.12 2025-12-05, 10.3 2027-01-27.
    assert codes(facts(version=version or None), record("SEN-10000001")) == (
        [R.UNSUPPORTED_RELEASE] if unsupported else [])


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
