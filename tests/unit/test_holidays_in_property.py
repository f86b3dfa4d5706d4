"""A customer's own holiday calendar travels with the decision property, so what reads the
property later (the console's clock and time left) stops the clock on the same days as the due time."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.console.clock_svg import picture
from tests.policy_helpers import config_with, facts, record, shipped
from worker.policy.decision import decide
from worker.policy.facts import Reporter

NY = ZoneInfo("America/New_York")
MONDAY_BEFORE_CHAVEZ_DAY = datetime(2026, 3, 30, 16, tzinfo=NY)


def wayne_l3(created=MONDAY_BEFORE_CHAVEZ_DAY, config=None):
    request = facts(created=created, sen="SEN-10000006", product="Bamboo", version=None,
                    severity_option="L3 - Moderate impact", reporter=Reporter(email="ci@wayne.example"))
    return decide(request, record("SEN-10000006"), config or shipped(), created)


def test_the_property_names_the_customers_holidays():
    assert wayne_l3().to_dict()["holidays"] == "US-NY"
    assert decide(facts(), record("SEN-10000001"), shipped(), facts().created).to_dict()["holidays"] is None


def test_the_console_clock_runs_on_the_customers_holidays():
    prop = wayne_l3().to_dict()
    drawn = picture(prop, shipped(), MONDAY_BEFORE_CHAVEZ_DAY)
    assert [name for _, name in drawn.holidays] == []  # Cesar Chavez Day is California's, not New York's
    assert drawn.rows[2].label == "US-NY holidays"
    # Monday 16:00-17:00 and Tuesday 09:00-16:00 New York: the clock runs on Cesar Chavez Day.
    assert [band.kind for band in drawn.rows[0].bands] == ["open", "closed", "open"]
    # The region's customers (no own calendar) see the California holiday.
    prop_region = {**prop, "holidays": None}
    assert [name for _, name in picture(prop_region, shipped(), MONDAY_BEFORE_CHAVEZ_DAY).holidays] == ["Cesar Chavez Day"]


def test_a_reopened_holiday_is_not_drawn():
    config = config_with({"regions": {"AMER": {"holidays": {"country": "US", "subdivision": "CA",
                                                            "reopen": ["Cesar Chavez Day"]}}}})
    prop = {**wayne_l3(config=config).to_dict(), "holidays": None}
    assert picture(prop, config, MONDAY_BEFORE_CHAVEZ_DAY).holidays == []
