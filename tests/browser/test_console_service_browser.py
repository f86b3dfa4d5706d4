"""The console's service pages in headless Chromium: an edited config uploaded and previewed
(a decision that would change, before and after), the entitlement records searched, and the
health page; screenshots for the README (docs/screenshots/, with UPDATE_SCREENSHOTS=1)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from tests.browser.conftest import TOKEN
from tests.browser.test_console_browser import until_url
from tests.console_fill import keep_decision, put
from worker.config.loader import default_config_path
from worker.liveness import beat_tick, mark_consumed, worker_beat

UTC = timezone.utc
NOW = datetime(2026, 12, 28, 12, 0, tzinfo=UTC)  # Monday


@pytest.fixture
def decided(redis_client):
    """Open requests on the board and the latest decisions kept with their inputs, as triages leave them."""
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        for key, minutes, level, sen in (("PS-201", 200, "L2", "SEN-10000001"), ("PS-202", 90, "L2", "SEN-10000006"),
                                         ("PS-203", 60, "L3", "SEN-10000001"), ("PS-204", 45, "L4", "SEN-10000008"),
                                         ("PS-205", 30, "L3", "SEN-10000003")):
            created = NOW - timedelta(minutes=minutes)
            keep_decision(redis_client, key, created, level, sen=sen)
            if sen != "SEN-10000003":  # maintenance expired: not on the board
                put(redis_client, key, created, level, sen=sen, summary=f"Request {key}", now=NOW)


def sign_in(browser, server):
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(f"{server}/console/sign-in")
    browser.find_element(By.ID, "token").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, ".signin button").click()
    until_url(browser, "/console/board")


def test_an_uploaded_config_edit_previews_the_decisions_it_would_change(browser, console_server, decided,
                                                                        screenshots, tmp_path):
    from selenium.webdriver.common.by import By

    edited = tmp_path / "mapping.yaml"
    edited.write_text(default_config_path().read_text().replace("    target: 2h\n", "    target: 3h\n", 1))
    with time_machine.travel(NOW, tick=True):
        sign_in(browser, console_server)
        browser.find_element(By.LINK_TEXT, "Config").click()
        until_url(browser, "/console/config")
        assert browser.find_element(By.CSS_SELECTOR, ".running-version").text
        browser.find_element(By.ID, "config-text").clear()
        browser.find_element(By.NAME, "file").send_keys(str(edited))
        browser.find_element(By.CSS_SELECTOR, "form.edit button").click()
        until_url(browser, "/console/config/preview")
        verdict = browser.find_element(By.CSS_SELECTOR, ".verdict").text
        assert "Of the latest 5 decisions, 2 would change, 3 would not." in verdict
        rows = browser.find_elements(By.CSS_SELECTOR, "table.preview tbody tr[data-key]")
        assert [r.get_attribute("data-key") for r in rows] == ["PS-202", "PS-201"]
        first = rows[0]
        # PS-202: L2 created 10:30 UTC on the global business week: due 12:30 with 2 h, 13:30 with 3 h.
        assert first.find_element(By.CSS_SELECTOR, ".before").text == "ENTITLED L2, due 2026-12-28 12:30 UTC, priority High"
        assert first.find_element(By.CSS_SELECTOR, ".after").text == "ENTITLED L2, due 2026-12-28 13:30 UTC, priority High"
        assert first.find_element(By.CSS_SELECTOR, ".changed").text == \
            "due changed from 2026-12-28T12:30:00Z to 2026-12-28T13:30:00Z"
        browser.save_screenshot(str(screenshots / "console-config.png"))

        # A broken edit: every problem with its line, nothing previewed.
        textarea = browser.find_element(By.ID, "config-text")
        textarea.clear()
        textarea.send_keys("levels:\n  L1: {meaning: x, target: 1h, calendar: 24x8, jira_priority: Highest, label: ps-l1}\n")
        browser.find_element(By.CSS_SELECTOR, "form.edit button").click()
        until_url(browser, "/console/config/preview")
        problems = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "ul.check-problems li")]
        assert "pasted config:2: levels.L1.calendar: unknown calendar '24x8' (expected 24x7, 24x5-global, regional)" in problems
        assert any("missing required key 'fields'" in p for p in problems)
        assert not browser.find_elements(By.CSS_SELECTOR, ".preview-result")


def test_entitlement_records_are_searched_with_their_open_requests(browser, console_server, decided, screenshots):
    from selenium.webdriver.common.by import By

    with time_machine.travel(NOW, tick=True):
        sign_in(browser, console_server)
        browser.find_element(By.LINK_TEXT, "Entitlements").click()
        until_url(browser, "/console/entitlements")
        assert len(browser.find_elements(By.CSS_SELECTOR, "table.records tbody tr[data-sen]")) == 9
        search = browser.find_element(By.NAME, "q")
        search.send_keys("globex")
        browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
        until_url(browser, "/console/entitlements", "q=globex")
        [row] = browser.find_elements(By.CSS_SELECTOR, "table.records tbody tr[data-sen]")
        assert row.get_attribute("data-sen") == "SEN-10000001"
        assert [a.text for a in row.find_elements(By.CSS_SELECTOR, "td.open a")] == ["PS-201", "PS-203"]
        browser.save_screenshot(str(screenshots / "console-entitlements.png"))
        row.find_element(By.LINK_TEXT, "PS-203").click()
        until_url(browser, "/console/requests/PS-203")

        browser.get(f"{console_server}/console/entitlements?q=SEN%2099999999")
        assert "SEN-99999999 is not in the entitlement records." in browser.find_element(By.CSS_SELECTOR, "p.note").text


def test_the_health_page_shows_each_check(browser, console_server, redis_client, screenshots):
    from selenium.webdriver.common.by import By

    with time_machine.travel(NOW, tick=True):
        stamp = NOW.timestamp()
        worker_beat(redis_client, "psw@host-1", stamp - 3, ttl=600)
        worker_beat(redis_client, "psw-time@host-1", stamp - 2, ttl=600)
        mark_consumed(redis_client, stamp - 5)
        beat_tick(redis_client, stamp - 95)  # beat has stopped: not ready
        sign_in(browser, console_server)
        browser.find_element(By.LINK_TEXT, "Health").click()
        until_url(browser, "/console/health")
        failing = [r.get_attribute("data-check") for r in browser.find_elements(By.CSS_SELECTOR, "table.health-checks tr.fail")]
        assert failing == ["beat"]
        assert "not ready" in browser.find_element(By.TAG_NAME, "h1").text
        browser.save_screenshot(str(screenshots / "console-health.png"))
