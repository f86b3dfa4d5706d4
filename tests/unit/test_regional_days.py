"""Issue 12, "Config for admins": business days as long as the region's working day, public
holidays that can be re-opened, a customer's own holiday calendar. Each test carries the
issue's reproduction: a region open 08:00-18:00 got 8 h, a holiday could not be re-opened, a
New York customer was closed on a California holiday."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.policy_helpers import config_with, facts, new_record
from worker.config import ConfigError
from worker.config.values import parse_working_hours
from worker.policy.sla import Region
from worker.entitlement.files import load_entitlements
from worker.policy.decision import decide
from worker.policy.facts import Reporter

AMS = ZoneInfo("Europe/Amsterdam")
NY = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)


def at(zone, *parts):
    return datetime(*parts, tzinfo=zone)


def l3(created, record, config):
    request = facts(created=created, sen=record.sen, product="Jira Software", version=None,
                    severity_option="L3 - Moderate impact", reporter=Reporter(email="admin@example.com"))
    decision = decide(request, record, config, created)
    assert decision.entitled, decision.reasons
    return decision


# --- the length of a business day ---------------------------------------------------------------

def test_a_region_open_08_to_18_gets_a_10_hour_business_day():
    config = config_with({"regions": {"EMEA": {"hours": {"mon-fri": "08:00-18:00"}}}})
    assert config.sla_policy().target_for("L3", "EMEA") == 10 * HOUR
    assert config.sla_policy().target_for("L4", "EMEA") == 20 * HOUR
    decision = l3(at(AMS, 2026, 6, 8, 8), new_record(), config)  # Monday 08:00
    assert decision.due == at(AMS, 2026, 6, 8, 18)  # not 16:00
    assert "Target 10h (1 business day of 10h) counted on EMEA working hours" in decision.comment
    # the reminders are fractions of the same 10 hours
    assert dict(decision.reminders)[0.5] == at(AMS, 2026, 6, 8, 13)


def test_the_other_regions_keep_their_own_day_length():
    config = config_with({"regions": {"EMEA": {"hours": {"mon-fri": "08:00-18:00"}}}})
    assert config.sla_policy().target_for("L3", "AMER") == 8 * HOUR


def test_business_day_sets_the_length_outright():
    config = config_with({"regions": {"EMEA": {"hours": {"mon-fri": "08:00-18:00"}, "business_day": "8h"}}})
    assert l3(at(AMS, 2026, 6, 8, 8), new_record(), config).due == at(AMS, 2026, 6, 8, 16)


def test_the_usual_day_decides_when_one_day_is_shorter():
    hours = parse_working_hours({"mon-thu": ["08:00-12:00", "13:00-19:00"], "fri": "08:00-12:00"})
    assert Region("X", "Europe/Amsterdam", None, None, hours).day_length == 10 * HOUR
    split_evenly = parse_working_hours({"mon-tue": "08:00-18:00", "wed-thu": "09:00-17:00"})
    assert Region("X", "Europe/Amsterdam", None, None, split_evenly).day_length == 10 * HOUR  # a tie: the longer


def test_business_days_need_the_regional_calendar():
    with pytest.raises(ConfigError, match="levels.L2.target: a target in business days needs calendar: regional"):
        config_with({"levels": {"L2": {"target": "1 business day"}}})


def test_a_plain_duration_is_still_working_hours():
    config = config_with({"levels": {"L3": {"target": "8h"}}, "regions": {"EMEA": {"hours": {"mon-fri": "08:00-18:00"}}}})
    assert l3(at(AMS, 2026, 6, 8, 8), new_record(), config).due == at(AMS, 2026, 6, 8, 16)


# --- re-opened public holidays --------------------------------------------------------------------

THURSDAY_BEFORE_EASTER = at(AMS, 2026, 4, 2, 16)  # then Good Friday, the weekend, Easter Monday


def test_good_friday_closes_emea_by_default():
    assert l3(THURSDAY_BEFORE_EASTER, new_record(), config_with({})).due == at(AMS, 2026, 4, 7, 16)


@pytest.mark.parametrize("reopen", [["Good Friday"], ["good friday"], [date(2026, 4, 3)]])
def test_a_holiday_can_be_reopened_by_name_or_date(reopen):
    config = config_with({"regions": {"EMEA": {"holidays": {"country": "NL", "reopen": reopen}}}})
    assert l3(THURSDAY_BEFORE_EASTER, new_record(), config).due == at(AMS, 2026, 4, 3, 16)


def test_a_name_reopens_the_holiday_every_year_and_a_date_only_once():
    by_name = config_with({"regions": {"EMEA": {"holidays": {"country": "NL", "reopen": ["Good Friday"]}}}})
    by_date = config_with({"regions": {"EMEA": {"holidays": {"country": "NL", "reopen": [date(2026, 4, 3)]}}}})
    thursday_2027 = at(AMS, 2027, 3, 25, 16)  # Good Friday 2027 is 26 March
    assert l3(thursday_2027, new_record(), by_name).due == at(AMS, 2027, 3, 26, 16)
    assert l3(thursday_2027, new_record(), by_date).due == at(AMS, 2027, 3, 30, 16)


@pytest.mark.parametrize("reopen, message", [
    (["Good Fryday"], "regions.EMEA.holidays: reopen: 'Good Fryday' is not a public holiday of NL (known: "),
    ([date(2026, 4, 2)], "regions.EMEA.holidays: reopen: 2026-04-02 is not a public holiday of NL"),
])
def test_reopening_what_is_no_holiday_is_a_config_error(reopen, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        config_with({"regions": {"EMEA": {"holidays": {"country": "NL", "reopen": reopen}}}})


# --- a customer's own holiday calendar --------------------------------------------------------------

MONDAY_BEFORE_CHAVEZ_DAY = at(NY, 2026, 3, 30, 16)  # 31 March: Cesar Chavez Day, a California holiday


def test_a_new_york_customer_is_not_closed_on_a_california_holiday():
    config = config_with({})
    in_ny = new_record(region="AMER", time_zone="America/New_York")
    assert l3(MONDAY_BEFORE_CHAVEZ_DAY, in_ny, config).due == at(NY, 2026, 4, 1, 16)  # the region's holidays
    own = new_record(region="AMER", time_zone="America/New_York", holiday_country="US", holiday_subdivision="NY")
    decision = l3(MONDAY_BEFORE_CHAVEZ_DAY, own, config)
    assert decision.due == at(NY, 2026, 3, 31, 16)
    assert "minus US-NY public holidays" in decision.comment


def test_a_customers_holidays_close_their_own_days():
    own = new_record(region="AMER", time_zone="America/New_York", holiday_country="US", holiday_subdivision="NY")
    columbus_eve = at(NY, 2026, 10, 9, 16)  # Friday; Monday 12 October is Columbus Day in New York, not in California
    assert l3(columbus_eve, own, config_with({})).due == at(NY, 2026, 10, 13, 16)
    in_ny = new_record(region="AMER", time_zone="America/New_York")
    assert l3(columbus_eve, in_ny, config_with({})).due == at(NY, 2026, 10, 12, 16)


def test_holiday_fields_in_yaml_and_csv_records(tmp_path):
    yaml_file = tmp_path / "records.yaml"
    yaml_file.write_text("entitlements:\n  - sen: SEN-40000001\n    customer: Acme NY\n    region: AMER\n"
                         "    deployment: data-center\n    products: [Jira Software]\n    maintenance_end: 2027-12-31\n"
                         "    holiday_country: US\n    holiday_subdivision: NY\n")
    csv_file = tmp_path / "records.csv"
    csv_file.write_text("sen,customer,region,deployment,products,maintenance_end,holiday_country,holiday_subdivision\n"
                        "SEN-40000001,Acme NY,AMER,data-center,Jira Software,2027-12-31,US,NY\n")
    for path in (yaml_file, csv_file):
        assert load_entitlements(path)["SEN-40000001"].holidays == ("US", "NY")


@pytest.mark.parametrize("cells, message", [
    ("US,XX", "unknown subdivision 'XX' of US"),
    (",NY", "holiday_subdivision needs holiday_country beside it"),
    ("ZZ,", "unknown holiday country 'ZZ'"),
])
def test_bad_holiday_fields_are_named_with_their_line(tmp_path, cells, message):
    path = tmp_path / "records.csv"
    path.write_text("sen,customer,region,deployment,products,maintenance_end,holiday_country,holiday_subdivision\n"
                    "SEN-40000001,Acme,AMER,data-center,Jira Software,2027-12-31,US,NY\n"
                    f"SEN-40000002,Acme,AMER,data-center,Jira Software,2027-12-31,{cells}\n")
    with pytest.raises(ConfigError, match=f"{path}:3: .*{message}"):
        load_entitlements(path)


def test_the_sample_new_york_customer_keeps_new_yorks_holidays():
    # Wayne Builds (SEN-10000006): AMER, America/New_York, holidays US-NY in the shipped records.
    from tests.policy_helpers import record, shipped

    wayne = record("SEN-10000006")
    assert wayne.holidays == ("US", "NY")
    request = facts(created=MONDAY_BEFORE_CHAVEZ_DAY, sen=wayne.sen, product="Bamboo", version=None,
                    severity_option="L3 - Moderate impact", reporter=Reporter(email="ci@wayne.example"))
    assert decide(request, wayne, shipped(), MONDAY_BEFORE_CHAVEZ_DAY).due == at(NY, 2026, 3, 31, 16)
