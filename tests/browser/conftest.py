"""Browser tests: the console in a real headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium), against the app served on a loopback port.

Skipped, saying why, only when Chromium or its driver is not installed (`.ci/run` installs both
where it can: `apt-get install -y chromium chromium-driver`)."""
from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TOKEN = "browser-admin-token-8c41e7"


def _missing() -> str | None:
    if not CHROMIUM:
        return "Chromium is not installed (apt-get install -y chromium chromium-driver)"
    if not Path(CHROMEDRIVER).exists():
        return "chromium-driver is not installed (apt-get install -y chromium chromium-driver)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1440,1000", "--force-device-scale-factor=1", "--lang=en-GB"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@contextmanager
def served(app):
    """`app` on 127.0.0.1, a free port, in a thread; yields its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def console_server(settings, redis_client):
    """The whole web app (create_app) on 127.0.0.1, a free port, in a thread."""
    from app import create_app
    from worker.settings import JiraSite

    app = create_app(replace(settings, admin_token=TOKEN,
                             jira=JiraSite(url="https://jira.example", deployment="cloud", email="bot@example.com",
                                           api_token="not-used-here")))
    with served(app) as url:
        yield url


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where the browser tests save their screenshots: the README's (docs/screenshots/) when
    UPDATE_SCREENSHOTS=1, else a temporary folder, so a test run leaves the checkout unchanged."""
    folder = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
