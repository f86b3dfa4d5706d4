"""The console's pages about the service (app/console/service_views.py) through the Flask test
client: health, config and entitlements. Sign-in is required, every form refuses a missing CSRF
token, and hostile input gets a clear message, never a 500."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from io import BytesIO

import pytest
import responses
import time_machine
from hypothesis import given, strategies as st

from app import create_app
from app.console.config_page import settings_shown
from tests.console_fill import keep_decision, put
from tests.fuzz_strategies import FUZZ
from tests.policy_helpers import shipped
from tests.http.test_assets_source import AQL, DC, DC_AQL_URL, TYPE_ATTRIBUTES, globex
from tests.component.test_console import NOW, TOKEN, console_app, csrf_of, sign_in, signed_in, web  # noqa: F401 (fixtures)
from worker.config.loader import default_config_path
from worker.embedded_redis import free_port
from worker.liveness import beat_tick, mark_consumed, worker_beat
from worker.queues import QUEUE, TIME_QUEUE
from worker.settings import ConsoleSettings, JiraSite, Settings


SERVICE_PAGES = ["/console/health", "/console/config", "/console/entitlements", "/console/entitlements?q=globex"]


@pytest.mark.parametrize("path", SERVICE_PAGES)
def test_the_service_pages_need_a_sign_in(web, path):
    resp = web.get(path)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/console/sign-in?next=")


@pytest.mark.parametrize("path", SERVICE_PAGES + ["POST /console/config/preview"])
def test_the_service_pages_are_off_without_an_admin_token(client, path):
    resp = client.post(path.split()[1]) if path.startswith("POST ") else client.get(path)
    assert resp.status_code == 404 and "Set ADMIN_TOKEN to turn the console on" in resp.get_data(as_text=True)


# -- health ---------------------------------------------------------------------------------------


def _message(at: float) -> str:
    return json.dumps({"body": "", "headers": {"psw_queued_at": at}})


def test_health_shows_every_check_passing_with_queues_and_heartbeats(signed_in, redis_client):
    stamp = NOW.timestamp()
    worker_beat(redis_client, "psw@web-1", stamp - 4, ttl=120)
    worker_beat(redis_client, "psw-time@web-1", stamp - 2, ttl=120)
    beat_tick(redis_client, stamp - 1)
    mark_consumed(redis_client, stamp - 3)
    redis_client.lpush(QUEUE, _message(stamp - 12))
    resp = signed_in.get("/console/health")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and ">ready</span>" in page
    for check in ("redis", "worker", "beat", "queue_stalled", "queue_oldest", "reminders_waiting", "config"):
        assert f'<tr class="pass" data-check="{check}">' in page
    assert f'data-queue="{QUEUE}"><th scope="row"><code>{QUEUE}</code></th><td class="depth">1</td><td class="oldest">12 s</td>' in page
    assert f'data-queue="{TIME_QUEUE}"><th scope="row"><code>{TIME_QUEUE}</code></th><td class="depth">0</td><td class="oldest">-</td>' in page
    assert 'data-worker="psw@web-1"><th scope="row">psw@web-1</th><td>4 s ago</td>' in page
    assert 'data-worker="beat"><th scope="row">beat</th>\n        <td>1 s ago</td>' in page
    assert "No errors in the file on disk." in page


def test_health_names_what_fails_and_answers_503(signed_in, redis_client):
    stamp = NOW.timestamp()
    worker_beat(redis_client, "psw@web-1", stamp - 300, ttl=1000)  # silent for 5 minutes
    redis_client.lpush(TIME_QUEUE, _message(stamp - 400))
    redis_client.zadd("psw:reminders:due", {"PS-1|50": stamp - 90})
    resp = signed_in.get("/console/health")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 503 and ">not ready</span>" in page
    assert '<tr class="fail" data-check="worker">' in page and "no worker heartbeat in the last 30 s" in page
    assert '<tr class="fail" data-check="beat">' in page and "beat last ticked never" in page
    assert "the oldest queued task waits 400 s (limit 300 s)" in page
    assert "a due reminder waits 400 s to be claimed or fired (limit 60 s)" in page
    assert "1 task(s) queued and nothing consumed ever" in page
    assert '<tr class="fail" data-worker="psw@web-1">' in page and "silent past 30 s" in page
    assert "1 due" in page


def test_health_shows_the_config_files_errors_while_the_last_good_one_runs(settings, config_file):
    app = create_app(replace(settings, admin_token=TOKEN, mapping_config=str(config_file)))
    web = app.test_client()
    with time_machine.travel(NOW, tick=False):
        assert sign_in(web).status_code == 303
        good = app.extensions["psw"].live_config.current().version
        config_file.write_text(config_file.read_text().replace("calendar: regional", "calendar: regonal", 1))
        app.extensions["psw"].live_config.reload()
        page = web.get("/console/health").get_data(as_text=True)
    assert '<tr class="fail" data-check="config">' in page
    assert f"the last good config (version {good}) keeps running" in page
    assert f"Running version <code>{good}</code>, the last good one" in page
    assert "levels.L3.calendar: unknown calendar &#39;regonal&#39;" in page


def test_health_with_redis_down_is_a_page_of_failing_checks(settings):
    console = ConsoleSettings(trusted_proxies=("10.0.0.0/8",), proxy_user_header="X-Forwarded-User")
    app = create_app(replace(settings, admin_token=TOKEN, console=console,
                             redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    resp = app.test_client().get("/console/health", headers={"X-Forwarded-User": "ops@example.com"},
                                 environ_base={"REMOTE_ADDR": "10.1.2.3"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert '<tr class="fail" data-check="redis">' in page and "Redis does not answer (ConnectionError)" in page
    assert page.count("not judged: Redis does not answer") == 5


# -- config ---------------------------------------------------------------------------------------


SHIPPED = default_config_path().read_text()
FASTER_L2 = SHIPPED.replace("    target: 2h\n", "    target: 1h\n", 1)


def kept(client, key: str, level: str = "L2", sen: str = "SEN-10000001", minutes: int = 0) -> None:
    at = NOW - timedelta(hours=1) + timedelta(minutes=minutes)
    keep_decision(client, key, at, level, sen=sen)


def preview(web, page=None, **form):
    page = page or web.get("/console/config")
    data = {"csrf_token": csrf_of(page), "decisions": "100", **form}
    return web.post("/console/config/preview", data=data, content_type="multipart/form-data")


@pytest.fixture
def with_secrets(settings):
    jira = JiraSite(url="https://jira.example", deployment="cloud", email="bot@example.com",
                    api_token="jira-api-token-7d1e0c5b")
    app = create_app(replace(settings, admin_token=TOKEN, jira=jira))
    web = app.test_client()
    with time_machine.travel(NOW, tick=False):
        assert sign_in(web).status_code == 303
        yield web


def test_the_config_page_shows_the_effective_config_and_never_a_secret(with_secrets, caplog):
    resp = with_secrets.get("/console/config")
    page = resp.get_data(as_text=True)
    version = shipped().version
    assert resp.status_code == 200 and f'running version <code class="running-version">{version}</code>' in page
    for secret in ("jira-api-token-7d1e0c5b", TOKEN, "test-webhook-secret"):
        assert secret not in page and secret not in caplog.text
    for name in ("webhook_secret", "admin_token", "jira.api_token"):
        assert f"<code>{name}</code></th><td>*** (set, not shown)</td>" in page
    assert "<code>jira.personal_access_token</code></th><td>(not set)</td>" in page
    assert "<code>liveness.worker_max_age</code></th><td>30.0</td>" in page
    assert "<code>jira.url</code></th><td>https://jira.example</td>" in page
    assert "target: 1 business day" in page  # the mapping config as it runs
    assert f'<tr data-version="{version}"><td><code>{version}</code></td><td>Mon 07 Dec 2026' in page
    assert "running here" in page


def test_a_url_password_in_a_setting_is_masked():
    shown = dict(settings_shown(Settings.from_env({"REDIS_URL": "redis://:hunter2-redis@redis.internal:6380/0"})))
    assert shown["redis_url"] == "redis://:***@redis.internal:6380/0"


def test_an_edit_with_problems_gets_every_one_with_its_line_in_one_report(signed_in, redis_client):
    kept(redis_client, "PS-1")
    broken = (SHIPPED.replace("calendar: regional", "calendar: regonal", 1)
              .replace("path: entitlements.yaml", "path: no-such-records.yaml"))
    resp = preview(signed_in, text=broken)
    page = resp.get_data(as_text=True)
    line = broken.splitlines().index("    calendar: regonal") + 1
    assert resp.status_code == 422 and "2 problems found: nothing was previewed." in page
    assert f"pasted config:{line}: levels.L3.calendar: unknown calendar &#39;regonal&#39;" in page
    assert "entitlement.path: no entitlement file at" in page and "no-such-records.yaml" in page
    assert "preview-result" not in page
    assert "calendar: regonal" in page  # the paste comes back, to fix


def test_a_valid_edit_previews_the_decisions_it_would_change_before_and_after(signed_in, redis_client):
    kept(redis_client, "PS-1", "L2")
    kept(redis_client, "PS-2", "L3", minutes=1)
    kept(redis_client, "PS-3", "L2", sen="SEN-10000003", minutes=2)  # maintenance expired: not entitled either way
    resp = preview(signed_in, text=FASTER_L2)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Of the latest 3 decisions,\n      <strong>1 would change</strong>, 2 would not." in page
    [row] = re.findall(r'<tr data-key="(PS-\d+)">', page)
    assert row == "PS-1"
    # Created 11:00 UTC on the global business week (open): due 13:00 with 2 h, 12:00 with 1 h.
    assert re.search(r'data-key="PS-1">.*?class="before">ENTITLED L2, due 2026-12-07 13:00 UTC, priority High<'
                     r'.*?class="after">ENTITLED L2, due 2026-12-07 12:00 UTC, priority High<'
                     r'.*?class="changed">due changed from 2026-12-07T13:00:00Z to 2026-12-07T12:00:00Z<',
                     page, re.S)


def test_the_running_config_pasted_back_changes_nothing(signed_in, redis_client):
    kept(redis_client, "PS-1")
    kept(redis_client, "PS-2", minutes=1)
    kept(redis_client, "PS-1", minutes=2)  # triaged again: counted again, kept once
    page = preview(signed_in, text=SHIPPED).get_data(as_text=True)
    version = shipped().version
    assert f'<tr data-version="{version}"><td><code>{version}</code></td>' in page
    assert re.search(rf'data-version="{version}">.*?<td class="decided">3</td>', page, re.S)
    assert f"Valid: version <code>{shipped().version}</code> (the running one)" in page
    assert "<strong>0 would change</strong>, 2 would not." in page


def test_an_uploaded_file_is_checked_like_a_paste(signed_in, redis_client):
    kept(redis_client, "PS-1")
    resp = preview(signed_in, text="", file=(BytesIO(FASTER_L2.encode()), "mapping.yaml"))
    assert resp.status_code == 200 and "<strong>1 would change</strong>" in resp.get_data(as_text=True)
    broken = FASTER_L2.replace("\nlevels:", "\nlevles:")
    resp = preview(signed_in, text="", file=(BytesIO(broken.encode()), "../../etc/mine\x1b.yaml"))
    assert resp.status_code == 422 and "uploaded file:" in resp.get_data(as_text=True)


BOMB = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
    f"{b}: &{b} [{', '.join(['*' + a] * 10)}]" for a, b in zip("abcde", "bcdef")])


@pytest.mark.parametrize("form, status, message", [
    ({"text": SHIPPED, "file": (BytesIO(SHIPPED.encode()), "m.yaml")}, 400, "Paste the edited config or upload a file, not both."),
    ({"text": "  \n"}, 400, "Paste an edited mapping config, or choose its file to upload."),
    ({"text": "", "file": (BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"), "logo.png")}, 400,
     "logo.png is not UTF-8 text (byte 0 cannot be read): send the YAML file itself."),
    ({"text": "", "file": (BytesIO(b"levels:\n  L1: \x00\x00"), "nul.yaml")}, 422,
     "nul.yaml:2: invalid YAML: special characters are not allowed (U+0000): is this a text file?"),
    ({"text": BOMB}, 422, "aliases repeat more than 10,000 values"),
    ({"text": "[" * 3000 + "]" * 3000}, 422, "invalid YAML: nested too deeply to read"),
    ({"text": "just a sentence"}, 422, "expected a mapping of keys to values"),
    ({"text": SHIPPED, "decisions": "abc"}, 400, "decisions: a whole number from 1 to 1000"),
    ({"text": SHIPPED, "decisions": "0"}, 400, "decisions: a whole number from 1 to 1000"),
    ({"text": SHIPPED, "decisions": "9" * 40}, 400, "decisions: a whole number from 1 to 1000"),
])
def test_hostile_edits_get_a_clear_message(signed_in, form, status, message):
    resp = preview(signed_in, **form)
    assert resp.status_code == status
    assert message in resp.get_data(as_text=True).replace("&#39;", "'")


def test_a_paste_over_the_limits_is_refused_with_a_page_not_a_crash(settings, signed_in):
    resp = preview(signed_in, text="a: b\n" * 20_000)  # 100 KB, over this app's 64 KiB form limit
    assert resp.status_code == 413 and "over the web process&#39;s 64 KiB limit" in resp.get_data(as_text=True)
    roomy = create_app(replace(settings, admin_token=TOKEN, webhook_max_bytes=2 * 1024 * 1024)).test_client()
    assert sign_in(roomy).status_code == 303
    resp = preview(roomy, text="a: b\n" * 60_000)  # 300 KB
    assert resp.status_code == 400 and "pasted config is over 256 KiB" in resp.get_data(as_text=True)


def test_the_preview_form_refuses_a_missing_or_forged_csrf_token(signed_in, redis_client):
    for data in ({"text": SHIPPED}, {"text": SHIPPED, "csrf_token": "forged"}):
        resp = signed_in.post("/console/config/preview", data=data)
        assert resp.status_code == 400 and "security token was refused" in resp.get_data(as_text=True)


def test_the_config_pages_need_a_sign_in(web):
    assert web.get("/console/config").status_code == 302
    form = web.get("/console/sign-in")
    resp = web.post("/console/config/preview", data={"csrf_token": csrf_of(form), "text": SHIPPED})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/console/sign-in")


# -- entitlements ---------------------------------------------------------------------------------


def sens_on(resp) -> list[str]:
    return re.findall(r'<tr data-sen="(SEN-\d+)">', resp.get_data(as_text=True))


@pytest.fixture
def open_requests_of_globex(redis_client):
    with time_machine.travel(NOW - timedelta(minutes=1), tick=False):
        put(redis_client, "PS-11", NOW - timedelta(hours=2), "L1", now=NOW)  # Globex, breached
        put(redis_client, "PS-12", NOW - timedelta(minutes=10), "L3", now=NOW)  # Globex, waiting
        put(redis_client, "PS-13", NOW - timedelta(minutes=10), "L3", sen="SEN-10000008", now=NOW)  # Tyrell


@pytest.mark.parametrize("query, expected", [
    ("", [f"SEN-1000000{n}" for n in (7, 1, 9, 2, 4, 5, 8, 3, 6)]),  # every record, by customer
    ("?q=SEN-10000001", ["SEN-10000001"]),
    ("?q=sen+10000001", ["SEN-10000001"]),  # any form the triage accepts
    ("?q=%EF%BC%B3%EF%BC%A5%EF%BC%AE%EF%BC%8D%EF%BC%91%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%98",
     ["SEN-10000008"]),  # full-width, as an Asian keyboard types it
    ("?q=10000006.", ["SEN-10000006"]),
    ("?q=GLOBEX", ["SEN-10000001"]),
    ("?q=ll+fi", ["SEN-10000008"]),  # a part of "Tyrell Fisheries"
    ("?q=000000", [f"SEN-1000000{n}" for n in (7, 1, 9, 2, 4, 5, 8, 3, 6)]),  # a part of every SEN
    ("?q=SEN-99999999", []),
    ("?q=%3Cscript%3E", []),
])
def test_entitlement_records_are_searched_by_sen_or_customer(signed_in, open_requests_of_globex, query, expected):
    resp = signed_in.get("/console/entitlements" + query)
    assert resp.status_code == 200
    assert sens_on(resp) == expected


def test_each_record_shows_its_open_requests_most_urgent_first(signed_in, open_requests_of_globex):
    page = signed_in.get("/console/entitlements?q=globex").get_data(as_text=True)
    row = re.search(r'<tr data-sen="SEN-10000001">.*?</tr>', page, re.S).group(0)
    assert "Globex Corporation" in row and "EMEA, Europe/Amsterdam" in row and "2027-" in row
    assert re.findall(r'/console/requests/(PS-\d+)', row) == ["PS-11", "PS-12"]
    assert "breached" in row and "waiting" in row and "PS-13" not in row


@pytest.mark.parametrize("query, status, message", [
    ("?q=SEN-99999999", 200, "SEN-99999999 is not in the entitlement records."),
    ("?q=%3Cscript%3E", 200, "No SEN or customer name contains &#39;&lt;script&gt;&#39;."),
    ("?q=" + "9" * 500, 400, "search: at most 100 characters"),
    ("?q=SEN-1%00", 400, "search: only printable characters"),
    ("?q=%1b%5b31m", 400, "search: only printable characters"),
])
def test_odd_searches_get_a_clear_message(signed_in, query, status, message):
    resp = signed_in.get("/console/entitlements" + query)
    assert resp.status_code == status
    assert message in resp.get_data(as_text=True)


def test_an_entitlement_file_that_cannot_be_read_is_a_clear_503(settings, tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(SHIPPED.replace("path: entitlements.yaml", "path: gone.yaml"))
    web = create_app(replace(settings, admin_token=TOKEN, mapping_config=str(mapping))).test_client()
    (tmp_path / "gone.yaml").write_text((default_config_path().parent / "entitlements.yaml").read_text())
    with time_machine.travel(NOW, tick=False):
        assert sign_in(web).status_code == 303
        assert sens_on(web.get("/console/entitlements?q=globex")) == ["SEN-10000001"]
        (tmp_path / "gone.yaml").write_text("entitlements: [")  # broken: the last good records answer
        assert sens_on(web.get("/console/entitlements?q=globex")) == ["SEN-10000001"]
    fresh = create_app(replace(settings, admin_token=TOKEN, mapping_config=str(mapping))).test_client()
    (tmp_path / "gone.yaml").unlink()
    with time_machine.travel(NOW, tick=False):
        assert sign_in(fresh).status_code == 303
        resp = fresh.get("/console/entitlements")
    assert resp.status_code == 503 and "gone.yaml" in resp.get_data(as_text=True)


def test_the_entitlements_page_needs_a_sign_in(web):
    assert web.get("/console/entitlements?q=globex").status_code == 302


def test_an_assets_source_is_searched_by_sen_one_lookup_at_a_time(settings, tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(SHIPPED.replace("  source: file\n  path: entitlements.yaml\n",
                                       f"  source: assets\n  aql: '{AQL}'\n"))
    web = create_app(replace(settings, admin_token=TOKEN, mapping_config=str(mapping), jira=DC)).test_client()
    with time_machine.travel(NOW, tick=False), responses.RequestsMock() as rsps:
        assert sign_in(web).status_code == 303
        page = web.get("/console/entitlements?q=globex").get_data(as_text=True)
        assert "which the console does not list: search by SEN" in page and sens_on(web.get("/console/entitlements")) == []
        rsps.get(DC_AQL_URL, json={"objectEntries": [globex()], "objectTypeAttributes": TYPE_ATTRIBUTES})
        assert sens_on(web.get("/console/entitlements?q=sen-10000001")) == ["SEN-10000001"]
        rsps.get(DC_AQL_URL, status=500)
        resp = web.get("/console/entitlements?q=SEN-10000002")
    assert resp.status_code == 503 and "The entitlement source cannot answer" in resp.get_data(as_text=True)
    assert DC.personal_access_token not in resp.get_data(as_text=True)


_text = st.text(st.characters(codec="utf-8"), max_size=400)


@FUZZ
@given(query=_text, text=_text, decisions=_text, upload=st.binary(max_size=400))
def test_any_search_or_edit_gets_a_clear_answer(console_app, query, text, decisions, upload):
    with time_machine.travel(NOW, tick=False):
        web = console_app.extensions.get("test_service_signed_in")
        if web is None:  # one sign-in for all examples
            web = console_app.extensions["test_service_signed_in"] = console_app.test_client()
            assert sign_in(web).status_code == 303
        page = web.get("/console/config")
        answers = [web.get("/console/entitlements", query_string={"q": query}),
                   preview(web, page, text=text, decisions=decisions),
                   preview(web, page, text="", decisions="5", file=(BytesIO(upload), "fuzz.yaml"))]
        for resp in answers:
            assert resp.status_code in (200, 400, 422), (resp.status_code, resp.data[:300])
            assert b"Traceback" not in resp.data


# -- the board in the viewer's zone ---------------------------------------------------------------


def test_the_board_shows_due_times_in_the_viewers_zone_too_remembered_for_the_session(signed_in, open_requests_of_globex):
    # PS-12: Globex (Amsterdam), L3 created 11:50 UTC Monday: 8 working hours, due Tuesday 11:50 UTC.
    default = signed_in.get("/console/board").get_data(as_text=True)
    assert re.search(r'data-key="PS-12">.*?Tue 08 Dec 12:50 CET.*?class="due-viewer"><time [^>]*>Tue 08 Dec 11:50 UTC<',
                     default, re.S)
    tokyo = signed_in.get("/console/board?zone=Asia/Tokyo").get_data(as_text=True)
    assert "Due (your zone, Asia/Tokyo)" in tokyo
    assert re.search(r'data-key="PS-12">.*?Tue 08 Dec 12:50 CET.*?class="due-viewer"><time [^>]*>Tue 08 Dec 20:50 JST<',
                     tokyo, re.S)
    again = signed_in.get("/console/board?level=L3").get_data(as_text=True)  # no zone given: the session's
    assert "Due (your zone, Asia/Tokyo)" in again and 'name="zone" list="zones" value="Asia/Tokyo"' in again


@pytest.mark.parametrize("zone, shown", [
    ("Mars/Olympus_Mons", "&#39;Mars/Olympus_Mons&#39;"), ("../../etc/passwd", "&#39;../../etc/passwd&#39;"),
    ("Europe/Amsterdam%00", "&#39;Europe/Amsterdam\\x00&#39;"), ("x" * 300, "&#39;" + "x" * 40 + "...&#39;"),
])
def test_an_unknown_zone_is_refused_with_a_message_and_not_remembered(signed_in, zone, shown):
    resp = signed_in.get(f"/console/board?zone={zone}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and f"zone: {shown} is not a time zone; give an IANA name" in page
    assert "Due (UTC)" in signed_in.get("/console/board").get_data(as_text=True)


def test_a_record_shows_its_most_urgent_open_requests_and_links_the_rest(signed_in, redis_client):
    with time_machine.travel(NOW - timedelta(minutes=1), tick=False):
        for n in range(1, 13):
            put(redis_client, f"PS-{n}", NOW - timedelta(minutes=10 * n), "L3", now=NOW)
    row = re.search(r'<tr data-sen="SEN-10000001">.*?</tr>',
                    signed_in.get("/console/entitlements?q=SEN-10000001").get_data(as_text=True), re.S).group(0)
    # The oldest is due first: PS-12 to PS-3 shown, PS-2 and PS-1 behind the link.
    assert re.findall(r'/console/requests/(PS-\d+)', row) == [f"PS-{n}" for n in range(12, 2, -1)]
    assert '<a class="more" href="/console/board?customer=Globex+Corporation">all 12 on the board</a>' in row


def test_with_no_usable_config_the_config_page_says_why_and_still_checks_a_fixed_file(settings, tmp_path, redis_client):
    broken = tmp_path / "mapping.yaml"
    broken.write_text(SHIPPED.replace("\nlevels:", "\nlevles:").replace(
        "path: entitlements.yaml", f"path: {default_config_path().parent / 'entitlements.yaml'}"))
    web = create_app(replace(settings, admin_token=TOKEN, mapping_config=str(broken))).test_client()
    with time_machine.travel(NOW, tick=False):
        assert sign_in(web).status_code == 303
        page = web.get("/console/config")
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "no usable config running" in text
        assert f"{broken}:" in text and "unknown key &#39;levles&#39; (did you mean &#39;levels&#39;?)" in text
        fixed = preview(web, page, text=broken.read_text().replace("\nlevles:", "\nlevels:"))
    assert fixed.status_code == 200 and "Valid: version" in fixed.get_data(as_text=True)
