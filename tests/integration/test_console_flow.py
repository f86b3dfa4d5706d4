"""The console on the whole stack: requests created in the simulator, triaged by a real worker,
appear on the board served by gunicorn; an agent's public reply marks one responded, resolving
the other takes it off. No Jira call is made for a page: the worker keeps the index."""
from __future__ import annotations

import re

import requests

from tests.conftest import SECRET
from tests.integration.conftest import ADMIN_TOKEN, ENTITLED
from tests.integration.test_triage_flow import create_and_wait


def signed_in(web_port) -> tuple[requests.Session, str]:
    base = f"http://127.0.0.1:{web_port}/console"
    session = requests.Session()
    form = session.get(f"{base}/sign-in", timeout=5).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    resp = session.post(f"{base}/sign-in", data={"token": ADMIN_TOKEN, "csrf_token": csrf}, allow_redirects=False,
                        timeout=5)
    assert resp.status_code == 303
    return session, base


def board(session, base) -> dict[str, str]:
    page = session.get(f"{base}/board", timeout=5)
    assert page.status_code == 200
    return dict(re.findall(r'data-key="([A-Z]+-\d+)">.*?<span class="badge">([a-z ]+)</span>', page.text, re.S))


def test_the_board_follows_triage_first_response_and_resolution(sim, worker, web_port):
    session, base = signed_in(web_port)
    replied = create_and_wait(sim, severity="L3", summary="Console: reindex stuck", **ENTITLED)
    resolved = create_and_wait(sim, severity="L1", summary="Console: production down", **ENTITLED)
    assert sim.wait_for(lambda: board(session, base).keys() >= {replied, resolved}, timeout=10)
    page = session.get(f"{base}/board?customer=globex", timeout=5).text
    assert "Console: reindex stuck" in page and f"{sim.url}/browse/{resolved}" in page
    calls = len(sim.calls)
    session.get(f"{base}/board", timeout=5)
    session.get(f"{base}/requests/{replied}", timeout=5)
    assert len(sim.calls) == calls  # the console asks Jira nothing

    sim.add_comment(replied, "We are looking at it now.", public=True)
    assert sim.wait_for(lambda: board(session, base).get(replied) == "responded", timeout=15)
    sim.set_status(resolved, "Resolved")
    assert sim.wait_for(lambda: resolved not in board(session, base), timeout=15)

    page = session.get(f"{base}/requests/{replied}", timeout=5).text
    assert page.count('<tr class="pass"') == 9 and 'id="sla-clock"' in page
    assert "First response" in page


def test_the_config_preview_re_decides_what_the_worker_decided(sim, worker, web_port, config_file):
    session, base = signed_in(web_port)
    fast = create_and_wait(sim, severity="L1", summary="Console: preview L1", **ENTITLED)
    slow = create_and_wait(sim, severity="L3", summary="Console: preview L3", **ENTITLED)
    page = session.get(f"{base}/config", timeout=5).text
    for secret in (ADMIN_TOKEN, SECRET, "integration-token"):
        assert secret not in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    edited = config_file.read_text().replace("    target: 1h\n", "    target: 2h\n", 1)  # L1
    resp = session.post(f"{base}/config/preview", data={"csrf_token": csrf, "text": edited, "decisions": "10"},
                        timeout=10)
    assert resp.status_code == 200
    assert "<strong>1 would change</strong>, 1 would not." in resp.text
    assert re.findall(r'<tr data-key="([A-Z]+-\d+)">', resp.text) == [fast]
    assert slow not in re.search(r'<table class="requests preview">.*?</table>', resp.text, re.S).group(0)
