"""The on-boarding message (`psw onboarding SEN`, `GET /admin/onboarding/<SEN>`): from the config
and the SEN's record, in Markdown or escaped HTML, and posted on a request once."""
from __future__ import annotations


from click.testing import CliRunner

from app import create_app
from tests.policy_helpers import shipped
from worker.cli import onboarding
from worker.onboarding_message import marker, render
from worker.policy.entitlement import Entitlement
from worker.runtime import services
from worker.settings import Settings

RECORD = Entitlement(sen="SEN-10000006", customer="Wayne <Builds> & Co", region="AMER", deployment="data-center",
                     products=["Bamboo"], maintenance_end="2027-01-01", time_zone="America/New_York",
                     holiday_country="US", holiday_subdivision="NY")


def test_markdown_names_targets_calendars_examples_phones_and_how_to_raise_an_l1():
    text = render(RECORD, shipped(), "md")
    assert "| L1 | Production application down | 1h | around the clock (24x7) |" in text
    assert "| L2 | Serious degradation | 2h | on the global business week (24x5: closed Friday 17:00 Los Angeles to Monday 10:00 Sydney) |" in text
    assert "| L3 | Moderate impact | 8h (1 business day of 8h) | on AMER working hours in America/New_York, minus US-NY public holidays |" in text
    assert "- Production Jira or Confluence is down or unusable for all users" in text
    assert "- AMER: +1 555 0100 (America/Los_Angeles, Mon-Fri 09:00-17:00) - your region" in text
    assert "- APAC: +61 2 5550 0100 (Australia/Sydney, Mon-Fri 09:00-17:00)" in text
    assert '2. Set Severity to "L1 - Production down".' in text
    assert "4. Call +1 555 0100 and give the request's key" in text


def test_html_is_escaped_and_says_the_same():
    page = render(RECORD, shipped(), "html")
    assert "<h1>Welcome to Priority Support, Wayne &lt;Builds&gt; &amp; Co</h1>" in page
    assert "<td>L1</td><td>Production application down</td><td>1h</td>" in page
    assert "<li>AMER: +1 555 0100 (America/Los_Angeles, Mon-Fri 09:00-17:00) - your region</li>" in page


def test_the_cli_renders_or_names_the_problem(setup):
    runner = CliRunner()
    ok = runner.invoke(onboarding.command, ["sen-10000001", "--format", "html"])
    assert ok.exit_code == 0 and ok.stdout.startswith("<h1>Welcome to Priority Support, Globex Corporation</h1>")
    unknown = runner.invoke(onboarding.command, ["SEN-12345678"])
    assert unknown.exit_code == 1 and "SEN-12345678: the entitlement source does not know this SEN" in unknown.stderr
    assert runner.invoke(onboarding.command, ["nonsense"]).exit_code == 2
    assert runner.invoke(onboarding.command, ["SEN-10000001", "--format", "pdf"]).exit_code == 2
    assert runner.invoke(onboarding.command, ["SEN-10000001", "--post", "not a key"]).exit_code == 2


def test_posted_once_as_a_public_comment_and_audited(setup):
    key = setup.request()
    runner = CliRunner()
    first = runner.invoke(onboarding.command, ["SEN-10000001", "--post", key, "--by", "gina"])
    assert first.exit_code == 0, first.stderr
    again = runner.invoke(onboarding.command, ["SEN-10000001", "--post", key])
    assert again.exit_code == 0 and "already on the request; not posted again" in again.stderr
    posted = [c for c in setup.sim.comments(key) if marker("SEN-10000001") in c["body"]]
    assert len(posted) == 1 and posted[0]["public"] is True
    assert posted[0]["body"].startswith("# Welcome to Priority Support, Globex Corporation")
    [entry] = [e for e in services().audit.entries(key) if e["kind"] == "onboarding"]
    assert (entry["outcome"], entry["requested_by"], entry["sen"]) == ("posted", "gina", "SEN-10000001")
    missing = runner.invoke(onboarding.command, ["SEN-10000001", "--post", "PS-9999"])
    assert missing.exit_code == 1 and "PS-9999: Jira refused the comment" in missing.stderr


def test_the_admin_endpoint_renders_it(setup):
    token = "admin-token-onboarding"
    app = create_app(Settings.from_env({**setup.env, "WEBHOOK_SECRET": "w" * 32, "ADMIN_TOKEN": token}))
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    md = client.get("/admin/onboarding/SEN-10000001", headers=auth)
    assert md.status_code == 200 and md.content_type.startswith("text/markdown")
    assert md.get_data(as_text=True).startswith("# Welcome to Priority Support, Globex Corporation")
    assert client.get("/admin/onboarding/SEN-10000001?format=html", headers=auth).get_data(as_text=True).startswith("<h1>")
    for path, status in (("/admin/onboarding/SEN-12345678", 404), ("/admin/onboarding/x%00y", 400),
                         ("/admin/onboarding/SEN-10000001?format=%3Cb%3E", 400)):
        resp = client.get(path, headers=auth)
        assert resp.status_code == status and resp.get_json()["message"], path
    assert client.get("/admin/onboarding/SEN-10000001").status_code == 401
