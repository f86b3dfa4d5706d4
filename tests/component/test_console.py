"""The console's pages through the Flask test client: sign-in, sessions, CSRF, the proxy's
identity, off without ADMIN_TOKEN, the board's filters and the request page; hostile input gets
a clear message, never a 500."""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from app import create_app
from tests.console_fill import decision_property, put
from worker import open_requests
from worker.audit import AuditTrail
from worker.settings import ConsoleSettings, Settings, SettingsError

TOKEN = "console-admin-token-31f9b2"
UTC = timezone.utc
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # Monday 7 December 2026, 13:00 in Amsterdam


@pytest.fixture
def console_app(settings):
    app = create_app(replace(settings, admin_token=TOKEN))
    app.testing = True
    return app


@pytest.fixture
def web(console_app):
    return console_app.test_client()


def csrf_of(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def sign_in(web, token=TOKEN, **kw):
    form = web.get("/console/sign-in", **kw)
    return web.post("/console/sign-in", data={"token": token, "csrf_token": csrf_of(form),
                                              "next": "/console/board"}, **kw)


@pytest.fixture
def signed_in(web):
    # Signed in at NOW, and the test runs then (a session lasts hours, the data is of that day).
    with time_machine.travel(NOW - timedelta(minutes=5), tick=False):
        assert sign_in(web).status_code == 303
    with time_machine.travel(NOW, tick=False):
        yield web


# -- sign-in ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, method", [("/console/board", "get"), ("/console/sign-in", "get"),
                                          ("/console/sign-in", "post"), ("/console/requests/PS-1", "get")])
def test_the_console_is_off_without_an_admin_token(client, path, method):
    resp = getattr(client, method)(path)
    assert resp.status_code == 404
    assert "Set ADMIN_TOKEN to turn the console on" in resp.get_data(as_text=True)


def test_every_page_needs_a_sign_in(web):
    for path in ("/console/board", "/console/board?level=L1", "/console/requests/PS-1"):
        resp = web.get(path)
        assert resp.status_code == 302
        assert resp.headers["Location"].startswith("/console/sign-in?next=")


def test_the_token_is_exchanged_for_a_session_cookie_and_never_shown_or_logged(web, redis_client, caplog):
    caplog.set_level(logging.DEBUG)
    resp = sign_in(web)
    assert (resp.status_code, resp.headers["Location"]) == (303, "/console/board")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP, no trusted proxy
    board = web.get("/console/board")
    assert board.status_code == 200 and "admin (token)" in board.get_data(as_text=True)
    [key] = redis_client.keys("psw:console:session:*")
    stored = redis_client.get(key).decode() + key.decode()
    for text in (stored, cookie, board.get_data(as_text=True), caplog.text):
        assert TOKEN not in text
    assert 0 < redis_client.ttl(key) <= 8 * 3600


@pytest.mark.parametrize("given, status, message", [
    ("wrong-token", 401, "That is not the admin token."),
    ("", 400, "Enter the admin token"),
    ("x" * 10_000, 401, "That is not the admin token."),
    (TOKEN + "\x00", 401, "That is not the admin token."),
])
def test_a_wrong_or_hostile_token_is_refused_with_a_message(web, redis_client, caplog, given, status, message):
    resp = sign_in(web, token=given)
    assert resp.status_code == status
    assert message in resp.get_data(as_text=True)
    assert redis_client.keys("psw:console:session:*") == []
    assert web.get("/console/board").status_code == 302
    assert TOKEN not in caplog.text


def test_a_form_without_its_csrf_token_is_refused(web, redis_client):
    resp = web.post("/console/sign-in", data={"token": TOKEN})
    assert resp.status_code == 400
    assert "security token was refused" in resp.get_data(as_text=True)
    assert redis_client.keys("psw:console:session:*") == []
    web.get("/console/sign-in")
    resp = web.post("/console/sign-in", data={"token": TOKEN, "csrf_token": "forged"})
    assert resp.status_code == 400


def test_sign_out_ends_the_session_on_the_server(signed_in, redis_client):
    cookie = signed_in.get_cookie("psw_console", path="/console").value
    board = signed_in.get("/console/board")
    assert signed_in.post("/console/sign-out").status_code == 400  # no CSRF token: still signed in
    assert signed_in.get("/console/board").status_code == 200
    resp = signed_in.post("/console/sign-out", data={"csrf_token": csrf_of(board)})
    assert (resp.status_code, resp.headers["Location"]) == (303, "/console/sign-in")
    assert redis_client.keys("psw:console:session:*") == []
    # The old cookie, replayed, is worth nothing: the session record is gone.
    signed_in.set_cookie("psw_console", cookie, path="/console")
    assert signed_in.get("/console/board").status_code == 302


def test_a_new_token_signs_every_session_out(settings, signed_in):
    cookie = signed_in.get_cookie("psw_console", path="/console").value
    other = create_app(replace(settings, admin_token="another-admin-token-99")).test_client()
    other.set_cookie("psw_console", cookie, path="/console")
    assert other.get("/console/board").status_code == 302


def test_the_cookie_is_secure_over_https_and_behind_a_trusted_proxy_only(settings):
    direct = create_app(replace(settings, admin_token=TOKEN)).test_client()
    # Over HTTPS Flask-WTF also wants a same-origin Referer (browsers send it: Referrer-Policy same-origin).
    https = sign_in(direct, base_url="https://console.example", headers={"Referer": "https://console.example/console/sign-in"})
    assert "Secure" in https.headers["Set-Cookie"]
    forwarded = {"X-Forwarded-Proto": "https"}
    untrusted = create_app(replace(settings, admin_token=TOKEN)).test_client()
    assert "Secure" not in sign_in(untrusted, headers=forwarded).headers["Set-Cookie"]
    proxied = create_app(replace(settings, admin_token=TOKEN,
                                 console=ConsoleSettings(trusted_proxies=("127.0.0.1/32",)))).test_client()
    assert "Secure" in sign_in(proxied, headers=forwarded).headers["Set-Cookie"]


def test_a_trusted_proxy_names_the_user_and_no_one_else_can(settings):
    console = ConsoleSettings(trusted_proxies=("10.0.0.0/8",), proxy_user_header="X-Forwarded-User")
    web = create_app(replace(settings, admin_token=TOKEN, console=console)).test_client()
    user = {"X-Forwarded-User": "ops@example.com"}
    resp = web.get("/console/board", headers=user, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert resp.status_code == 200 and "ops@example.com" in resp.get_data(as_text=True)
    assert web.get("/console/board", headers=user, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 302
    assert "Sign out</button>" not in resp.get_data(as_text=True)  # nothing to sign out of here
    hostile = {"X-Forwarded-User": "a\x1b[31mb"}
    assert web.get("/console/board", headers=hostile, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302


def test_a_proxy_header_without_trusted_proxies_refuses_to_start():
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        Settings.from_env({"CONSOLE_PROXY_USER_HEADER": "X-Forwarded-User"})
    with pytest.raises(SettingsError, match="not an address or network"):
        Settings.from_env({"TRUSTED_PROXIES": "10.0.0.0/8, proxy.example"})
    assert Settings.from_env({"TRUSTED_PROXIES": "10.0.0.0/8, ::1"}).console.trusted_proxies == ("10.0.0.0/8", "::1")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/console/", "/admin/config",
                                    "/console/\\evil", "javascript:alert(1)"])
def test_sign_in_never_redirects_out_of_the_console(web, target):
    form = web.get("/console/sign-in")
    resp = web.post("/console/sign-in", data={"token": TOKEN, "csrf_token": csrf_of(form), "next": target})
    assert resp.headers["Location"] == "/console/board"


def test_redis_down_is_a_clear_503(settings):
    from worker.embedded_redis import free_port

    web = create_app(replace(settings, admin_token=TOKEN, redis_url=f"redis://127.0.0.1:{free_port()}/0")).test_client()
    resp = sign_in(web)  # the session record cannot be written
    assert resp.status_code == 503 and "Redis does not answer" in resp.get_data(as_text=True)


def test_pages_are_not_cached_framed_or_scripted(signed_in):
    resp = signed_in.get("/console/board")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


# -- the board ------------------------------------------------------------------------------------


@pytest.fixture
def board_requests(redis_client):
    with time_machine.travel(NOW - timedelta(minutes=1), tick=False):
        put(redis_client, "PS-1", NOW - timedelta(hours=2), "L1", summary="<script>alert(1)</script>", now=NOW)
        put(redis_client, "PS-2", NOW - timedelta(minutes=100), "L2", sen="SEN-10000006", now=NOW)
        put(redis_client, "PS-3", NOW - timedelta(minutes=30), "L3", sen="SEN-10000008", now=NOW)
        put(redis_client, "PS-4", NOW - timedelta(minutes=20), "L4", sen="SEN-10000005", now=NOW)
        open_requests.answered(redis_client, "PS-4", "responded", "public comment 1")


def keys_on(resp) -> list[str]:
    return re.findall(r'<tr class="state-[a-z-]+" data-key="([A-Z]+-\d+)"', resp.get_data(as_text=True))


@pytest.mark.parametrize("query, expected", [
    ("", ["PS-1", "PS-2", "PS-3", "PS-4"]),
    ("?level=L2", ["PS-2"]),
    ("?region=AMER", ["PS-2"]),
    ("?region=emea", ["PS-1", "PS-3", "PS-4"]),
    ("?customer=TYRELL", ["PS-3"]),
    ("?customer=ll+fi", ["PS-3"]),  # a part of "Tyrell Fisheries"
    ("?state=responded", ["PS-4"]),
    ("?level=L1&region=AMER", []),
])
def test_the_board_filters(signed_in, board_requests, query, expected):
    with time_machine.travel(NOW, tick=False):
        resp = signed_in.get("/console/board" + query)
    assert resp.status_code == 200
    assert keys_on(resp) == expected


def test_the_board_shows_the_urgent_first_with_states_times_and_breaches(signed_in, board_requests):
    with time_machine.travel(NOW, tick=False):
        page = signed_in.get("/console/board").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    # No beat has run: the highest passed threshold of each waits to fire at once.
    assert re.search(r'data-key="PS-1">.*?1h 0m over.*?100 % due now \(11:00 UTC\).*?breached', page, re.S)
    # L2, created 100 min ago on the global business week (open): 20 min left, at risk.
    assert re.search(r'data-key="PS-2">.*?Mon 07 Dec 07:20 EST.*?Mon 07 Dec 12:20 UTC.*?20m<.*?75 % due now.*?at risk',
                     page, re.S)
    assert re.search(r'data-key="PS-4">.*?responded', page, re.S)
    assert re.search(r"Last 7 days.*?by level.*?L1</th><td>1<", page, re.S)
    assert "1 breached" in page and "1 at risk" in page and "4 open" in page


def test_the_board_shows_and_filters_the_team_holding_each_request_now(signed_in, board_requests, redis_client):
    rows = {row["key"]: row for row in open_requests.rows(redis_client)[0]}
    assert rows["PS-1"]["team"] == "Priority Support EMEA"  # the triage's holder (its decision's route)
    for key in ("PS-1", "PS-3", "PS-4"):
        open_requests.handed_to(redis_client, key, "Priority Support EMEA")
    open_requests.handed_to(redis_client, "PS-2", "Select Support")  # a warm handoff moved it
    with time_machine.travel(NOW, tick=False):
        select = signed_in.get("/console/board?team=Select+Support")
        emea = signed_in.get("/console/board?team=Priority+Support+EMEA")
        unknown = signed_in.get("/console/board?team=Night+Owls")
    assert keys_on(select) == ["PS-2"] and keys_on(emea) == ["PS-1", "PS-3", "PS-4"]
    page = select.get_data(as_text=True)
    assert '<th scope="col">Team now</th>' in page
    assert re.search(r'data-key="PS-2">.*?<td class="team">Select Support</td>', page, re.S)
    assert unknown.status_code == 400
    assert "team: &#39;Night Owls&#39; is not a team of the running config (Priority Support AMER" in \
        unknown.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("?level=L9", "level: &#39;L9&#39; is not a level of the running config"),
    ("?region=%00", "is not a region of the running config"),
    ("?customer=" + "x" * 500, "customer: at most 100 characters"),
    ("?customer=%1b%5b31m", "customer: only printable characters"),
    ("?state=%3Cb%3E", "state: &#39;&lt;b&gt;&#39; is not one of"),
    ("?page=abc", "page: a whole number from 1 to 10000"),
    ("?page=0", "page: a whole number"),
    ("?page=99999999999999999999", "page: a whole number"),
])
def test_hostile_filters_get_a_clear_message(signed_in, board_requests, query, message):
    resp = signed_in.get("/console/board" + query)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


def test_the_board_pages_through_many_requests(signed_in, redis_client):
    from tests.console_fill import fill

    fill(redis_client, 150, NOW)
    with time_machine.travel(NOW, tick=False):
        first, second = signed_in.get("/console/board"), signed_in.get("/console/board?page=2")
    assert len(keys_on(first)) == 100 and len(keys_on(second)) == 50
    assert "page 1 of 2" in first.get_data(as_text=True)
    assert not set(keys_on(first)) & set(keys_on(second))


def test_an_empty_board_says_so(signed_in):
    assert "No open Priority Support requests." in signed_in.get("/console/board").get_data(as_text=True)


# -- a request ------------------------------------------------------------------------------------


def test_a_request_page_shows_decision_checks_clock_and_audit(signed_in, redis_client):
    created = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # Friday 16:00 in Amsterdam
    with time_machine.travel(NOW - timedelta(minutes=1), tick=False):
        put(redis_client, "PS-7", created, "L3", now=NOW)
        AuditTrail(redis_client).record("PS-7", "triage", outcome="written", level="L3", due="2026-12-07T14:00:00Z")
    with time_machine.travel(NOW, tick=False):
        page = signed_in.get("/console/requests/PS-7").get_data(as_text=True)
    # Friday 16:00 + 8 working hours: 1 h on Friday, 7 h on Monday: due Monday 16:00 local. One
    # closed period (Friday 17:00 to Monday 09:00); the global weekend in it; no holiday.
    assert 'data-closed-periods="1"' in page
    assert page.count('<rect class="closed"') == 1 and page.count('<rect class="weekend"') == 1
    assert page.count('<tr class="pass"') == 9  # the eight rules and 'every fact readable'
    assert "written: L3, due 2026-12-07T14:00:00Z" in page
    assert re.search(r"Waiting reminders.*?75 % due Mon 07 Dec 13:00 UTC", page, re.S)


def test_a_request_not_entitled_is_explained_from_the_audit_trail(signed_in, redis_client):
    prop = decision_property("PS-8", NOW, "L3", sen="SEN-10000003")  # maintenance expired
    AuditTrail(redis_client).record("PS-8", "triage", outcome="written", writes={"property": prop})
    page = signed_in.get("/console/requests/PS-8").get_data(as_text=True)
    assert "NOT ENTITLED" in page and "No clock: the request is not entitled" in page
    assert re.search(r'<tr class="fail" data-code="MAINTENANCE_EXPIRED">.*?maintenance for SEN-10000003 ended',
                     page, re.S)
    assert page.count('<tr class="pass"') == 8


@pytest.mark.parametrize("key, status, message", [
    ("PS-404", 404, "PS-404: no decision recorded"),
    ("not-a-key", 400, "An issue key looks like PS-123."),
    ("PS-1%3Cscript%3E", 400, "An issue key looks like PS-123."),
])
def test_a_request_page_for_an_unknown_or_hostile_key(signed_in, key, status, message):
    resp = signed_in.get(f"/console/requests/{key}")
    assert resp.status_code == status
    assert message in resp.get_data(as_text=True)


# -- reminders ------------------------------------------------------------------------------------


def test_the_reminders_page_shows_what_waits_the_dispatch_lag_and_the_beat(signed_in, redis_client, board_requests):
    from worker.liveness import beat_tick
    from worker.reminders.store import CLAIMED

    redis_client.zadd(CLAIMED, {"PS-3|50": (NOW + timedelta(minutes=4)).timestamp()})
    redis_client.zrem("psw:reminders:due", "PS-3|50")
    beat_tick(redis_client, (NOW - timedelta(seconds=3)).timestamp())
    page = signed_in.get("/console/reminders").get_data(as_text=True)
    # No beat claimed PS-1's breach (due 11:00) nor PS-2's 75 % (11:50): they wait, the oldest an hour.
    assert re.search(r"Due, waiting for the beat.*?PS-1.*?100 % \(breach\).*?Globex.*?3600 s.*?PS-2.*?75 %.*?600 s"
                     r".*?Being fired.*?PS-3.*?50 %.*?Tyrell.*?Mon 07 Dec 12:04:00 UTC.*?Next", page, re.S)
    assert "the oldest due reminder has waited 3600 s unclaimed" in page and "last ticked 3 s ago" in page
    upcoming = re.search(r"Next \d+ on the schedule.*?</table>", page, re.S).group(0)
    assert re.findall(r'data-key="(PS-\d+)"', upcoming)[0] == "PS-2"  # its 90 % at 12:08, the soonest
    request = signed_in.get("/console/requests/PS-2").get_data(as_text=True)
    assert "75 % due Mon 07 Dec 11:50 UTC, waiting 600 s for the beat" in request


def test_the_reminders_page_needs_a_sign_in(web):
    assert web.get("/console/reminders").status_code == 302


# -- any input ------------------------------------------------------------------------------------


from hypothesis import given, strategies as st  # noqa: E402

from tests.fuzz_strategies import FUZZ  # noqa: E402

_text = st.text(st.characters(codec="utf-8"), max_size=300)


@FUZZ
@given(args=st.dictionaries(st.sampled_from(["level", "region", "customer", "state", "page", "other"]), _text,
                            max_size=5),
       key=_text, form=st.dictionaries(st.sampled_from(["token", "csrf_token", "next"]), _text, max_size=3))
def test_any_filter_key_or_form_gets_a_clear_answer(console_app, args, key, form):
    with time_machine.travel(NOW, tick=False):
        web = console_app.extensions.get("test_signed_in")
        if web is None:  # one sign-in for all examples
            web = console_app.extensions["test_signed_in"] = console_app.test_client()
            assert sign_in(web).status_code == 303
        for resp in (web.get("/console/board", query_string=args),
                     web.get("/console/requests/" + key.replace("/", "%2F").replace("?", "%3F").replace("#", "%23")),
                     web.post("/console/sign-in", data=form)):
            # 308: Werkzeug sends a path with doubled slashes to its one-slash form
            assert resp.status_code in (200, 302, 303, 308, 400, 401, 404), (resp.status_code, resp.data[:300])
            assert b"Traceback" not in resp.data


def test_the_clock_uses_the_customers_own_holiday_calendar(signed_in, redis_client):
    # Wayne Builds (AMER, New York) keeps New York's holidays, not California's: Cesar Chavez Day
    # (Tuesday 31 March 2026) is a working day for it. Created Monday 16:00 in New York.
    created = datetime(2026, 3, 30, 20, 0, tzinfo=UTC)
    with time_machine.travel(created, tick=False):
        prop = put(redis_client, "PS-9", created, "L3", sen="SEN-10000006", now=created)
    page = signed_in.get("/console/requests/PS-9").get_data(as_text=True)  # long after: drawn to twice the clock
    assert prop["due"].startswith("2026-03-31")
    assert "Cesar Chavez" not in page and "another due time than the triage" not in page
    # Drawn Monday 16:00 to Wednesday 16:00 New York (twice the clock): two nights closed, no holiday.
    assert page.count('<rect class="holiday"') == 0 and 'data-closed-periods="2"' in page
