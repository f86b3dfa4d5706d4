"""The open requests index (worker/open_requests.py) and the board's states and counts over it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine

from app.console import board
from tests.console_fill import decision_property, put
from worker import open_requests

UTC = timezone.utc
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # a Monday


def at(instant):
    return time_machine.travel(instant, tick=False)


def test_a_triaged_entitled_request_gets_a_row_and_its_decision(redis_client):
    with at(NOW):
        prop = put(redis_client, "PS-1", NOW - timedelta(minutes=10), "L1", summary="Down", now=NOW)
    rows, responded = open_requests.rows(redis_client)
    [row] = rows
    assert (row["key"], row["level"], row["region"], row["customer"], row["summary"]) == (
        "PS-1", "L1", "EMEA", "Globex Corporation", "Down")
    assert row["due"] == datetime.fromisoformat(prop["due"]).timestamp()
    assert [at for at, _ in row["reminders"]] == [0.5, 0.75, 0.9, 1.0]
    assert responded == {}
    assert open_requests.decision(redis_client, "PS-1")["decision_id"] == prop["decision_id"]


def test_a_decision_no_longer_entitled_takes_the_request_off_the_board(redis_client):
    with at(NOW):
        put(redis_client, "PS-1", NOW, "L3", now=NOW)
        open_requests.answered(redis_client, "PS-1", "responded", "comment")
        open_requests.record(redis_client, "PS-1", decision_property("PS-1", NOW, "L3", sen="SEN-10000002"))
    assert open_requests.rows(redis_client) == ([], {})
    assert open_requests.decision(redis_client, "PS-1") is None


def test_states_follow_the_clock_and_the_first_response(redis_client):
    created = NOW - timedelta(minutes=10)
    with at(NOW):
        put(redis_client, "PS-1", created, "L1", now=NOW)  # L1: 1 h around the clock
    [row], _ = open_requests.rows(redis_client)
    assert board.state_of(row, None, NOW.timestamp()) == board.WAITING
    assert board.state_of(row, None, (created + timedelta(minutes=45)).timestamp()) == board.AT_RISK
    assert board.state_of(row, None, (created + timedelta(minutes=60)).timestamp()) == board.BREACHED
    in_time = {"cycle": 1, "at": (created + timedelta(minutes=30)).timestamp()}
    late = {"cycle": 1, "at": (created + timedelta(minutes=61)).timestamp()}
    assert board.state_of(row, in_time, (created + timedelta(hours=5)).timestamp()) == board.RESPONDED
    assert board.state_of(row, late, (created + timedelta(hours=5)).timestamp()) == board.BREACHED
    # A response to an earlier cycle does not answer this one.
    assert board.state_of({**row, "cycle": 2}, in_time, NOW.timestamp()) == board.WAITING


def test_a_resolved_request_leaves_the_board_and_a_breach_stays_counted(redis_client):
    with at(NOW):
        put(redis_client, "PS-1", NOW - timedelta(hours=3), "L1", now=NOW)  # breached 2 h ago
        put(redis_client, "PS-2", NOW - timedelta(minutes=5), "L1", sen="SEN-10000006", now=NOW)
        open_requests.answered(redis_client, "PS-1", "resolved", "status Done")
        open_requests.answered(redis_client, "PS-2", "resolved", "status Done")  # in time: no breach
    assert open_requests.rows(redis_client) == ([], {})
    [history] = open_requests.breach_history(redis_client, NOW - timedelta(days=30))
    assert (history["key"], history["level"], history["region"], history["member"]) == ("PS-1", "L1", "EMEA", "PS-1|1")
    counts = board.breach_counts([], [history], NOW.timestamp())
    assert counts[7]["customer"] == {"Globex Corporation": 1} and counts[30]["level"] == {"L1": 1}
    # Kept 31 days: a breach older than that is trimmed by the next close.
    with at(NOW + timedelta(days=32)):
        put(redis_client, "PS-3", NOW + timedelta(days=32), "L1", now=NOW + timedelta(days=32))
        open_requests.close(redis_client, "PS-3")
    assert open_requests.breach_history(redis_client, NOW - timedelta(days=60)) == []


def test_breach_counts_cover_7_and_30_days_by_level_region_and_customer():
    now = NOW.timestamp()
    rows = [{"key": "PS-1", "cycle": 1, "due": now - 3600, "level": "L1", "region": "EMEA", "customer": "A"},
            {"key": "PS-2", "cycle": 1, "due": now - 10 * 86400, "level": "L3", "region": "AMER", "customer": "B"}]
    history = [{"key": "PS-3", "member": "PS-3|1", "due": now - 20 * 86400, "level": "L1", "region": "AMER", "customer": "A"},
               {"key": "PS-1", "member": "PS-1|1", "due": now - 3600, "level": "L1", "region": "EMEA", "customer": "A"},
               {"key": "PS-4", "member": "PS-4|1", "due": now - 40 * 86400, "level": "L2", "region": "APAC", "customer": "C"}]
    counts = board.breach_counts([(board.BREACHED, rows[0]), (board.BREACHED, rows[1])], history, now)
    assert counts[7] == {"level": {"L1": 1}, "region": {"EMEA": 1}, "customer": {"A": 1}}
    assert counts[30]["level"] == {"L1": 2, "L3": 1}  # PS-1 once though closed and reopened
    assert counts[30]["region"] == {"EMEA": 1, "AMER": 2} and counts[30]["customer"] == {"A": 2, "B": 1}


def test_the_sweep_adds_missing_rows_only_and_prunes_what_jira_no_longer_has_open(redis_client):
    with at(NOW - timedelta(hours=1)):
        put(redis_client, "PS-1", NOW - timedelta(hours=2), "L3", summary="from the triage", now=NOW)
        put(redis_client, "PS-2", NOW - timedelta(hours=2), "L3", now=NOW)
        put(redis_client, "PS-3", NOW - timedelta(days=20), "L3", now=NOW)  # older than the sweep looks
    with at(NOW):
        fresh = decision_property("PS-1", NOW - timedelta(hours=2), "L3")
        assert not open_requests.record_missing(redis_client, "PS-1", fresh, {})
        assert open_requests.record_missing(redis_client, "PS-4", decision_property("PS-4", NOW, "L4"), {})
        put(redis_client, "PS-5", NOW - timedelta(hours=2), "L3", now=NOW)  # written during the sweep
        closed = open_requests.prune(redis_client, ["PS-1", "PS-4"], NOW - timedelta(seconds=1),
                                     NOW - timedelta(days=14))
    assert closed == ["PS-2"]
    rows = {row["key"]: row for row in open_requests.rows(redis_client)[0]}
    assert sorted(rows) == ["PS-1", "PS-3", "PS-4", "PS-5"]
    assert rows["PS-1"]["summary"] == "from the triage"


def test_filters_order_and_refusals():
    levels, regions = ["L1", "L2", "L3", "L4"], ["AMER", "EMEA", "APAC"]
    assert board.Filters.parse({"level": "L2", "region": "emea", "customer": " Globex "}, levels, regions) == \
        board.Filters("L2", "EMEA", "Globex", "")
    for args, message in (({"level": "L9"}, "level: 'L9' is not a level"),
                          ({"region": "MARS"}, "region: 'MARS' is not a region"),
                          ({"customer": "x" * 101}, "customer: at most 100 characters"),
                          ({"customer": "a\x00b"}, "customer: only printable"),
                          ({"state": "lost"}, "state: 'lost' is not one of")):
        try:
            board.Filters.parse(args, levels, regions)
        except board.FilterError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"{args} was accepted")


def test_every_entitlement_rule_has_a_check_and_an_unknown_reason_still_shows():
    from app.console.checks import CHECKS, FAIL, JUDGES, NOT_CHECKED, NOT_JUDGED, PASS, checklist
    from worker.policy.entitlement import ReasonCode

    assert sorted([code for code, *_ in CHECKS] + list(JUDGES)) == sorted(ReasonCode)
    listed = checklist({"sen": None, "reasons": [{"code": "SEN_MISSING", "detail": "no SEN given"},
                                                 {"code": "NEW_RULE", "detail": "a rule added later"}]})
    assert [(c.code, c.result) for c in listed] == [
        ("FACT_UNREADABLE", PASS), ("SEN_MISSING", FAIL), ("SEN_UNKNOWN", NOT_CHECKED), ("NOT_PRIORITY", NOT_CHECKED),
        ("MAINTENANCE_EXPIRED", NOT_CHECKED), ("PRODUCT_NOT_COVERED", PASS), ("REPORTER_NOT_ADMIN", NOT_CHECKED),
        ("UNSUPPORTED_RELEASE", PASS), ("OUT_OF_SCOPE", PASS), ("NEW_RULE", FAIL)]
    assert listed[1].reason == "no SEN given" and listed[-1].reason == "a rule added later"


def test_a_deferred_request_shows_the_rule_it_could_not_judge_not_a_failure():
    from app.console.checks import FAIL, NOT_JUDGED, checklist

    listed = {c.code: c for c in checklist({"sen": "SEN-1", "customer": "Globex", "region": "EMEA", "reasons": [
        {"code": "REPORTER_UNVERIFIED", "detail": "their email address is hidden"},
        {"code": "RELEASE_UNJUDGED", "detail": "9.17 is not in the End of Life table"},
        {"code": "FACT_UNREADABLE", "detail": "the SEN field holds an object"}]})}
    assert listed["REPORTER_NOT_ADMIN"].result == NOT_JUDGED
    assert listed["REPORTER_NOT_ADMIN"].reason == "their email address is hidden"
    assert listed["UNSUPPORTED_RELEASE"].result == NOT_JUDGED
    assert listed["FACT_UNREADABLE"].result == NOT_JUDGED
    assert FAIL not in {c.result for c in listed.values()}


def test_a_handoff_racing_the_resolution_does_not_put_the_request_back_on_the_board(redis_client, monkeypatch):
    with at(NOW):
        put(redis_client, "PS-1", NOW - timedelta(minutes=10), "L1", now=NOW)
    loads = open_requests.json.loads
    resolved = []

    def resolution_lands_meanwhile(raw):  # between the handoff's read of the row and its write
        if not resolved:
            resolved.append(True)
            open_requests.close(redis_client, "PS-1")
        return loads(raw)

    monkeypatch.setattr(open_requests.json, "loads", resolution_lands_meanwhile)
    open_requests.handed_to(redis_client, "PS-1", "Priority Support APAC")
    monkeypatch.setattr(open_requests.json, "loads", loads)
    assert open_requests.rows(redis_client) == ([], {})
