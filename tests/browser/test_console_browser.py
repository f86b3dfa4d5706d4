"""The console as a person uses it, in headless Chromium: sign in, the board, a filter, a
request's page with its SLA clock; screenshots for the README (docs/screenshots/)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import time_machine

from tests.browser.conftest import TOKEN
from tests.console_fill import put
from worker import open_requests
from worker.reminders.store import ReminderStore

UTC = timezone.utc
# Monday 28 December 2026, 12:00 UTC (13:00 in Amsterdam), between Christmas and New Year.
NOW = datetime(2026, 12, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def requests_open(redis_client):
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        # Globex (EMEA, Amsterdam), L4 (16 working hours), raised on Christmas Eve at 16:00 local.
        put(redis_client, "PS-101", datetime(2026, 12, 24, 15, 0, tzinfo=UTC), "L4",
            summary="Indexing stuck since the upgrade", now=NOW)
        put(redis_client, "PS-102", NOW - timedelta(hours=3), "L1", sen="SEN-10000005",
            summary="Production down: every login fails", now=NOW)
        put(redis_client, "PS-103", NOW - timedelta(minutes=100), "L2", sen="SEN-10000006",
            summary="Builds queue for an hour", now=NOW)
        put(redis_client, "PS-104", NOW - timedelta(hours=1), "L3", sen="SEN-10000008",
            summary="Review comments vanish", now=NOW)
        put(redis_client, "PS-105", NOW - timedelta(minutes=30), "L3", sen="SEN-10000006",
            summary="Agent <b>offline</b> after restart", now=NOW)
    with time_machine.travel(NOW - timedelta(minutes=20), tick=False):
        # As the reminders do on a first response: what is left of the cycle is cancelled, the row marked.
        ReminderStore(redis_client).remove("PS-104", ["50", "75", "90", "100"])
        open_requests.answered(redis_client, "PS-104", "responded", "public comment 10400 by an agent")


def until_url(browser, path: str, query: str = "") -> None:
    """A click that submits a form or follows a link returns before the next page is there."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 15).until(
        lambda b: urlsplit(b.current_url).path == path and query in urlsplit(b.current_url).query)


def _rows(browser):
    from selenium.webdriver.common.by import By

    return [(row.get_attribute("data-key"), row.find_element(By.CSS_SELECTOR, ".badge").text)
            for row in browser.find_elements(By.CSS_SELECTOR, "table.requests tbody tr[data-key]")]


def test_sign_in_board_filter_and_a_request_page(browser, console_server, requests_open, screenshots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    with time_machine.travel(NOW, tick=True):
        browser.delete_all_cookies()
        browser.get(f"{console_server}/console/board")
        assert "/console/sign-in" in browser.current_url

        browser.find_element(By.ID, "token").send_keys("not-the-token")
        browser.find_element(By.CSS_SELECTOR, ".signin button").click()
        WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".error"))
        assert "That is not the admin token." in browser.find_element(By.CSS_SELECTOR, ".error").text

        browser.find_element(By.ID, "token").send_keys(TOKEN)
        browser.find_element(By.CSS_SELECTOR, ".signin button").click()
        until_url(browser, "/console/board")
        cookie = browser.get_cookie("psw_console")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/console"

        # Most urgent first: the breach, then at risk, then the waiting ones by due, answered last.
        assert _rows(browser) == [("PS-102", "breached"), ("PS-103", "at risk"), ("PS-105", "waiting"),
                                  ("PS-101", "waiting"), ("PS-104", "responded")]
        assert "<b>" in browser.find_element(By.CSS_SELECTOR, "tr[data-key=PS-105] .summary").text  # shown, not run
        jira = browser.find_element(By.CSS_SELECTOR, "tr[data-key=PS-102] a.jira").get_attribute("href")
        assert jira == "https://jira.example/browse/PS-102"
        browser.save_screenshot(str(screenshots / "console-board.png"))

        Select(browser.find_element(By.NAME, "region")).select_by_value("AMER")
        browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
        until_url(browser, "/console/board", "region=AMER")
        assert [key for key, _ in _rows(browser)] == ["PS-103", "PS-105"]
        customer = browser.find_element(By.NAME, "customer")
        customer.clear()
        customer.send_keys("globex")
        Select(browser.find_element(By.NAME, "region")).select_by_value("")
        browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
        until_url(browser, "/console/board", "customer=globex")
        assert [key for key, _ in _rows(browser)] == ["PS-101"]

        browser.find_element(By.LINK_TEXT, "PS-101").click()
        until_url(browser, "/console/requests/PS-101")
        clock = browser.find_element(By.ID, "sla-clock")
        # Thu 24 Dec 16:00 Amsterdam + 16 working hours: 1 h on Thursday, Christmas Day and the
        # Second Day of Christmas (Fri, Sat) and Sunday closed, 8 h on Monday, 7 h on Tuesday:
        # due Tue 29 Dec 16:00. Closed: Thu 17:00 - Mon 09:00 and Mon 17:00 - Tue 09:00.
        assert len(clock.find_elements(By.CSS_SELECTOR, "rect.closed")) == 2
        holidays = [t.text for t in clock.find_elements(By.CSS_SELECTOR, "text.band-label")]
        assert len(holidays) == 2 and all("Christmas" in name for name in holidays)
        assert len(clock.find_elements(By.CSS_SELECTOR, "rect.weekend")) == 1
        marks = {m.get_attribute("class") for m in clock.find_elements(By.CSS_SELECTOR, "g.mark")}
        assert marks == {"mark created", "mark reminder", "mark due", "mark now"}
        results = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "table.checks td.result")]
        assert results == ["pass"] * 9  # the eight rules and every fact readable
        browser.set_window_size(1440, 1250)
        browser.save_screenshot(str(screenshots / "console-request.png"))
        browser.set_window_size(1440, 1000)

        browser.find_element(By.LINK_TEXT, "Reminders").click()
        until_url(browser, "/console/reminders")
        overdue = browser.find_elements(By.CSS_SELECTOR, "table.overdue tbody tr[data-key]")
        assert [row.get_attribute("data-key") for row in overdue] == ["PS-102", "PS-103"]  # no beat ran
        browser.save_screenshot(str(screenshots / "console-reminders.png"))

        browser.find_element(By.CSS_SELECTOR, ".signout button").click()
        until_url(browser, "/console/sign-in")
        browser.get(f"{console_server}/console/board")
        assert "/console/sign-in" in browser.current_url
