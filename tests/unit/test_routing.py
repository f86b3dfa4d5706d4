"""Who holds a request when, and its handoffs (worker/routing/rota.py), on the shipped config:
AMER 08:00-17:00 Los Angeles, EMEA 08:00-17:00 Amsterdam, APAC 10:00-18:00 Sydney, Mon-Fri;
handoffs 30 minutes before a shift ends."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

from tests.policy_helpers import config_with, facts, record, shipped
from worker.policy.decision import decide
from worker.routing import rota_for

UTC = timezone.utc
LA, SYDNEY, AMSTERDAM = ZoneInfo("America/Los_Angeles"), ZoneInfo("Australia/Sydney"), ZoneInfo("Europe/Amsterdam")
AMER, EMEA, APAC, SELECT = ("Priority Support AMER", "Priority Support EMEA", "Priority Support APAC",
                            "Select Support")


def handoffs(level: str, region: str, created: datetime, until: datetime):
    rota = rota_for(shipped())
    found = []
    for handoff in rota.handoffs("PS-1", level, region, created):
        if handoff.boundary > until:
            break
        found.append(handoff)
    return found


def test_an_l1_request_follows_the_sun_for_30_hours_from_monday_0800_los_angeles():
    created = datetime(2026, 12, 7, 8, 0, tzinfo=LA)  # Monday, PST: AMER's shift begins
    rota = rota_for(shipped())
    assert rota.holding_at("PS-1", "L1", "AMER", created).team == AMER
    found = handoffs("L1", "AMER", created, created + timedelta(hours=30))
    assert [(h.outgoing.team, h.incoming.team) for h in found] == [(AMER, APAC), (APAC, EMEA), (EMEA, AMER)]
    assert [h.boundary.astimezone(UTC) for h in found] == [
        datetime(2026, 12, 8, 1, 0, tzinfo=UTC),  # 17:00 Los Angeles; APAC on since 10:00 Sydney
        datetime(2026, 12, 8, 7, 0, tzinfo=UTC),  # 18:00 Sydney; EMEA on at 08:00 Amsterdam
        datetime(2026, 12, 8, 16, 0, tzinfo=UTC),  # 17:00 Amsterdam; AMER on at 08:00 Los Angeles
    ]
    assert [h.due for h in found] == [h.boundary - timedelta(minutes=30) for h in found]
    assert [h.code for h in found] == ["20261208T0100Z", "20261208T0700Z", "20261208T1600Z"]


def test_an_l2_request_at_friday_1700_los_angeles_waits_for_monday_1000_sydney():
    created = datetime(2026, 12, 4, 17, 0, tzinfo=LA)  # the global weekend begins
    rota = rota_for(shipped())
    holding = rota.holding_at("PS-1", "L2", "AMER", created)
    assert (holding.team, holding.office) == (APAC, "APAC")  # the first office on shift next
    [first] = handoffs("L2", "AMER", created, datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
    # No handoff over the weekend: APAC holds it from Monday 10:00 Sydney to the end of its shift.
    assert first.boundary == datetime(2026, 12, 7, 18, 0, tzinfo=SYDNEY)
    assert (first.outgoing.team, first.incoming.team) == (APAC, EMEA)


def test_an_l1_request_at_the_weekend_goes_to_the_weekend_team_and_back_on_monday():
    created = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # Saturday
    rota = rota_for(shipped())
    holding = rota.holding_at("PS-1", "L1", "EMEA", created)
    assert (holding.team, holding.office, holding.engineer.display_name) == (SELECT, None, "Sol Select")
    back, following = handoffs("L1", "EMEA", created, datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
    assert (back.outgoing.team, back.incoming.team) == (SELECT, APAC)
    assert back.boundary == datetime(2026, 12, 7, 10, 0, tzinfo=SYDNEY)
    assert back.due == datetime(2026, 12, 7, 9, 30, tzinfo=SYDNEY)
    assert (following.outgoing.team, following.incoming.team) == (APAC, EMEA)


def test_an_l1_request_held_on_friday_goes_to_the_weekend_team_at_1700_los_angeles():
    created = datetime(2026, 12, 4, 10, 0, tzinfo=LA)
    [to_weekend] = handoffs("L1", "AMER", created, datetime(2026, 12, 6, 0, 0, tzinfo=UTC))
    assert (to_weekend.outgoing.team, to_weekend.incoming.team) == (AMER, SELECT)
    assert to_weekend.boundary == datetime(2026, 12, 4, 17, 0, tzinfo=LA)


def test_an_l3_request_on_a_regional_holiday_goes_to_the_select_team():
    rota = rota_for(shipped())
    thanksgiving = datetime(2026, 11, 26, 10, 0, tzinfo=LA)
    holding = rota.holding_at("PS-1", "L3", "AMER", thanksgiving)
    assert (holding.team, holding.covering) == (SELECT, "AMER")
    assert rota.holding_at("PS-1", "L3", "AMER", thanksgiving - timedelta(days=1)).team == AMER
    assert rota.holding_at("PS-1", "L3", "AMER", datetime(2026, 11, 28, 10, 0, tzinfo=LA)).team == SELECT  # Saturday
    # A New York customer of AMER works on Cesar Chavez Day, a California holiday.
    chavez = datetime(2026, 3, 31, 10, 0, tzinfo=LA)
    assert rota.holding_at("PS-1", "L3", "AMER", chavez).team == SELECT
    assert rota.holding_at("PS-1", "L3", "AMER", chavez, holidays=("US", "NY")).team == AMER
    assert list(rota.handoffs("PS-1", "L3", "AMER", thanksgiving)) == []  # L3 does not change hands


def test_a_region_on_its_public_holiday_leaves_its_shift_to_the_select_team():
    christmas = datetime(2026, 12, 25, 10, 0, tzinfo=AMSTERDAM)  # a Friday, EMEA's shift
    rota = rota_for(shipped())
    holding = rota.holding_at("PS-1", "L1", "AMER", christmas)
    assert (holding.team, holding.covering) == (SELECT, "EMEA")
    assert holding.end == datetime(2026, 12, 25, 17, 0, tzinfo=AMSTERDAM)


def test_the_engineer_is_one_of_the_roster_on_shift_and_the_same_on_every_call():
    config = config_with({"routing": {"regions": {"AMER": {"roster": [
        {"display_name": "Early Amer", "username": "early", "hours": {"mon-fri": "08:00-12:00"}},
        {"display_name": "Late Amer", "username": "late", "hours": {"mon-fri": "12:00-17:00"}}]}}}})
    rota = rota_for(config)
    morning = datetime(2026, 12, 7, 9, 0, tzinfo=LA)
    assert rota.holding_at("PS-7", "L1", "AMER", morning).engineer.display_name == "Early Amer"
    assert rota.holding_at("PS-7", "L1", "AMER", morning + timedelta(hours=4)).engineer.display_name == "Late Amer"
    night = datetime(2026, 12, 7, 20, 0, tzinfo=LA)  # APAC's shift: its roster
    assert rota.holding_at("PS-7", "L1", "AMER", night).engineer.display_name == "Aki Apac"


def test_the_decision_records_the_holder_at_creation_and_the_l1_comment_both_phone_lines():
    created = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # 18:00 Monday Los Angeles: APAC on shift
    decision = decide(facts(created=created, severity_option="L1 - Production down"), record("SEN-10000001", region="AMER"), shipped(), created)
    assert decision.route == {"team": APAC, "office": "APAC", "covering": None,
                              "assignee": {"display_name": "Aki Apac",
                                           "account_id": "712020:ac5e6528-a1c7-5900-af84-0afc8fbcf07d",
                                           "username": "aki.apac"}}
    assert decision.to_dict()["route"] == decision.route
    assert ("L1 phone support: the AMER Priority Support line is +1 555 0100; the office on shift when it was raised is "
            "APAC, +61 2 5550 0100 (a call to AMER out of its hours routes there).") in decision.comment.splitlines()
    assert "Routed to Priority Support APAC (Aki Apac)." in decision.comment.splitlines()


def test_without_a_routing_section_nothing_is_routed():
    config = shipped().model_copy(update={"routing": None})
    decision = decide(facts(severity_option="L1 - Production down"), record("SEN-10000001"), config, datetime(2026, 11, 26, 10, tzinfo=UTC))
    assert decision.route is None and "route" not in decision.to_dict()
    assert "L1 phone support: the EMEA Priority Support line is +31 20 555 0100." in decision.comment.splitlines()


def test_many_handoffs_alternate_holders_and_never_repeat_a_boundary():
    created = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # across both DST changes of March and April
    found = list(islice(rota_for(shipped()).handoffs("PS-1", "L1", "EMEA", created), 200))
    assert all(a.boundary < b.boundary for a, b in zip(found, found[1:]))
    assert all(h.outgoing.holder != h.incoming.holder for h in found)
    assert all(a.incoming == b.outgoing for a, b in zip(found, found[1:]))
