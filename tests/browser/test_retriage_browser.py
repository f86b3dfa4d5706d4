"""The console's Re-triage button in headless Chromium: after an entitlement fix, press
Re-triage on a not-entitled request, see the dry run's before and after, apply it, and find it
queued for the workers (issue 14 point 3)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import TOKEN, served
from tests.browser.test_console_browser import until_url
from tests.component.conftest import RENEWED, queued_tasks, setup  # noqa: F401 (the fixture)
from worker.settings import Settings
from worker.tasks import triage_by_key


@pytest.fixture
def live_console(setup):  # noqa: F811 (the imported fixture)
    """The web app on a loopback port, reading the simulator the re-triage's dry run asks."""
    from app import create_app

    with served(create_app(Settings.from_env({**setup.env, "WEBHOOK_SECRET": "w" * 32, "ADMIN_TOKEN": TOKEN}))) as url:
        yield url


def test_press_re_triage_see_the_dry_run_and_apply_it(browser, live_console, setup, redis_client,  # noqa: F811
                                                      screenshots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    key = setup.request()
    triage_by_key.apply(args=[key, "reconcile"], throw=True)
    setup.set_globex(RENEWED)

    browser.delete_all_cookies()
    browser.get(f"{live_console}/console/requests/{key}")
    browser.find_element(By.ID, "token").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, ".signin button").click()
    until_url(browser, f"/console/requests/{key}")
    assert "NOT ENTITLED" in browser.find_element(By.CSS_SELECTOR, "dl.decision").text

    browser.find_element(By.ID, "retriage").click()
    until_url(browser, f"/console/requests/{key}/retriage")
    assert browser.find_element(By.ID, "retriage-dry-run").text == "Dry run: nothing has been written or queued."
    assert browser.find_element(By.ID, "retriage-changes").text == "now entitled: L1 (was not entitled (MAINTENANCE_EXPIRED))"
    changed = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "table.retriage-diff tr.changed")]
    assert "Outcome not_entitled entitled" in changed and "Level - L1" in changed
    assert queued_tasks(redis_client) == []
    browser.save_screenshot(str(screenshots / "console-retriage.png"))

    browser.find_element(By.ID, "retriage-apply").click()
    WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.ID, "retriage-queued"))  # the second POST's page
    assert "Re-triage queued for the workers: now entitled: L1" in browser.find_element(By.ID, "retriage-queued").text
    assert [args for _, args in queued_tasks(redis_client)] == [[key, "retriage", False, "admin (token) via the console"]]
