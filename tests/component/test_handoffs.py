"""Warm handoffs, time-moved (time-machine), through the real parts: the bundled simulator over
HTTP, the test Redis, the triage, the durable schedule, the beat's dispatch and the firing.

Shipped shifts: AMER 08:00-17:00 Los Angeles, EMEA 08:00-17:00 Amsterdam, APAC 10:00-18:00
Sydney, Monday to Friday; a handoff 30 minutes before a shift ends. The expected instants are
worked out by hand (December: PST UTC-8, CET UTC+1, AEDT UTC+11)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine

from jirasim import JiraSimulator
from jirasim import catalogue as cat
from tests.component.conftest import make_services
from worker import clock, open_requests
from worker.config import default_config_path, load_config
from worker.entitlement.sources import FileSource
from worker.reminders import handoffs, schedule_for_decision
from worker.reminders.dispatch import dispatch_due
from worker.reminders.firing import fire
from worker.reminders.reconcile import reconcile
from worker.reminders.store import ReminderStore
from worker.settings import JiraSite, ReminderSettings
from worker.triage import triage

UTC = timezone.utc
LA, SYDNEY = ZoneInfo("America/Los_Angeles"), ZoneInfo("Australia/Sydney")
AMER, EMEA, APAC, SELECT = ("Priority Support AMER", "Priority Support EMEA", "Priority Support APAC",
                            "Select Support")
ENTITLED = dict(sen="SEN-10000001", product="Jira Software", version="10.3.4", environment="Production",
                reporter="ops-admin@globex.example")  # Globex, an EMEA customer
QUEUE = "test-time-lane"
SETTINGS = ReminderSettings()


@pytest.fixture(scope="module", params=["cloud", "datacenter"])
def sim(request):
    with JiraSimulator(flavor=request.param) as simulator:  # no webhooks: the test triages by key
        yield simulator


@pytest.fixture
def stack(sim, redis_url, redis_client):
    sim.reset()
    if sim.flavor == "cloud":
        site = JiraSite(url=sim.url, deployment="cloud", email="psw@example.com", api_token="handoff-test-token")
    else:  # assignees by user name
        site = JiraSite(url=sim.url, deployment="datacenter", personal_access_token="handoff-test-pat")
    return Stack(sim, make_services(redis_url, redis_client, site))


class Stack:
    def __init__(self, sim, services):
        self.sim, self.services = sim, services
        config = load_config(default_config_path())
        self.source = FileSource(config.resolve(config.entitlement.path), frozenset(config.regions))

    def request(self, level: str, created: datetime) -> str:
        key = self.sim.create_request(severity=level, created=created, fire_webhooks=False, **ENTITLED)["issueKey"]
        self.triage(key)
        return key

    def triage(self, key: str):
        """What worker.tasks does for a triage: decide and write, then schedule."""
        svc = self.services
        result = triage(issue={"key": key, "fields": {}}, delivery_id=f"test:{key}", config=svc.config(),
                        source=self.source, gateway=svc.gateway(), redis_client=svc.redis, now=clock.now(),
                        shadow=svc.settings.shadow_mode, read_first=True)
        schedule_for_decision(svc, key, result.property, clock.now())
        handoffs.schedule_handoff(svc, key, result.property, clock.now())
        return result

    def beat(self, services=None) -> list[str]:
        """One tick of the beat's clock at the (moved) current time, each firing run at once."""
        svc = services or self.services
        store = ReminderStore(svc.redis)
        dispatch_due(store, lambda name: name.encode(), QUEUE, clock.now(), timedelta(minutes=5))
        fired = []
        while (raw := svc.redis.rpop(QUEUE)) is not None:
            outcome = fire(svc, raw.decode(), clock.now(), SETTINGS)
            fired.append(f"{raw.decode()} {outcome.status}")
        return fired

    def team(self, key: str) -> str | None:
        value = self.sim.issue(key)["fields"].get(cat.PS_TEAM_FIELD)
        return value["value"] if value else None

    def assignee(self, key: str) -> str | None:
        value = self.sim.issue(key)["fields"].get("assignee")
        return value["displayName"] if value else None

    def handoff_comments(self, key: str) -> list[str]:
        return [c["body"] for c in self.sim.comments(key) if c["body"].startswith("Priority Support warm handoff")]

    def audit(self, key: str, kind: str) -> list[dict]:
        entries = [json.loads(e) for e in self.services.redis.lrange(f"psw:audit:{key}", 0, -1)]
        return [e for e in reversed(entries) if e["kind"] == kind]

    def walk(self, traveller, start: datetime, hours: float, step=timedelta(minutes=5)) -> list[tuple[datetime, str]]:
        """Beat every `step` for `hours`; (instant, firing) of every handoff made on the way."""
        made = []
        t = start
        while t <= start + timedelta(hours=hours):
            traveller.move_to(t)
            made += [(t, f) for f in self.beat() if "|handoff " in f and f.endswith("handed_off")]
            t += step
        return made


def test_an_l1_request_open_30_hours_from_monday_0800_los_angeles_is_handed_off_once_per_shift_change(stack):
    created = datetime(2026, 12, 7, 8, 0, tzinfo=LA)
    with time_machine.travel(created, tick=False) as traveller:
        key = stack.request("L1", created)
        assert (stack.team(key), stack.assignee(key)) == (AMER, "Ava Amer")
        assert "L1 phone support: the EMEA Priority Support line is +31 20 555 0100; the office on shift when it was raised is " \
               "AMER, +1 555 0100" in stack.sim.comments(key)[0]["body"]
        made = stack.walk(traveller, created, 30)
    assert [t.astimezone(UTC) for t, _ in made] == [
        datetime(2026, 12, 8, 0, 30, tzinfo=UTC),  # 16:30 Los Angeles, 30 min before AMER goes
        datetime(2026, 12, 8, 6, 30, tzinfo=UTC),  # 17:30 Sydney
        datetime(2026, 12, 8, 15, 30, tzinfo=UTC),  # 16:30 Amsterdam
    ]
    comments = stack.handoff_comments(key)
    assert len(comments) == 3
    assert [c.splitlines()[0].split(": ", 1)[1].split(" at the end")[0] for c in comments] == [
        f"{AMER} (Ava Amer) hands this request to {APAC} (Aki Apac)",
        f"{APAC} (Aki Apac) hands this request to {EMEA} (Emil Emea)",
        f"{EMEA} (Emil Emea) hands this request to {AMER} (Ava Amer)"]
    assert [c.splitlines()[-1] for c in comments] == [
        "(psw-handoff:20261208T0100Z)", "(psw-handoff:20261208T0700Z)", "(psw-handoff:20261208T1600Z)"]
    first = comments[0].splitlines()
    assert "Age: 8h30m (created 2026-12-07 16:00 UTC)." in first
    assert any(line.startswith("Initial response: BREACHED at 2026-12-07 18:00 CET") for line in first)
    assert "Last public activity: none." in first
    assert "Held by: Priority Support AMER (Ava Amer)." in first
    assert ("L1 phone support: the EMEA Priority Support line is +31 20 555 0100; the office on shift now is "
            "APAC, +61 2 5550 0100 (a call to EMEA out of its hours routes there).") in first
    assert (stack.team(key), stack.assignee(key)) == (AMER, "Ava Amer")  # back with AMER on Tuesday
    assert [e["handoff"] for e in stack.audit(key, "handoff")] == ["20261208T0100Z", "20261208T0700Z",
                                                                  "20261208T1600Z"]


def test_an_l2_request_at_friday_1700_los_angeles_waits_for_monday_1000_sydney(stack):
    created = datetime(2026, 12, 4, 17, 0, tzinfo=LA)
    monday_sydney = datetime(2026, 12, 7, 10, 0, tzinfo=SYDNEY)
    with time_machine.travel(created, tick=False) as traveller:
        key = stack.request("L2", created)
        assert stack.team(key) == APAC  # the first office of the week holds it
        made = stack.walk(traveller, created, (monday_sydney - created).total_seconds() / 3600 + 9, timedelta(minutes=15))
    # Nothing over the weekend; APAC hands it to EMEA at 17:30 Sydney on Monday.
    assert [t for t, _ in made] == [datetime(2026, 12, 7, 17, 30, tzinfo=SYDNEY)]
    assert stack.team(key) == EMEA
    assert stack.sim.properties(key)["priority-support"]["due"] == "2026-12-07T01:00:00Z"  # Mon 12:00 Sydney


def test_an_l1_request_at_the_weekend_goes_to_the_weekend_team_and_back_on_monday(stack):
    created = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # Saturday
    with time_machine.travel(created, tick=False) as traveller:
        key = stack.request("L1", created)
        assert (stack.team(key), stack.assignee(key)) == (SELECT, "Sol Select")
        assert "no Priority Support office is on shift when it was raised: Select Support answers +1 555 0199" in \
               stack.sim.comments(key)[0]["body"]
        made = stack.walk(traveller, datetime(2026, 12, 6, 22, 0, tzinfo=UTC), 2)
    assert [t for t, _ in made] == [datetime(2026, 12, 7, 9, 30, tzinfo=SYDNEY)]
    assert (stack.team(key), stack.assignee(key)) == (APAC, "Aki Apac")
    [row] = open_requests.rows(stack.services.redis)[0]
    assert row["team"] == APAC  # the console's "team now" (it was Select Support from the triage)
    [comment] = stack.handoff_comments(key)
    assert comment.startswith(f"Priority Support warm handoff (L1): {SELECT} (Sol Select) hands this request to "
                              f"{APAC} (Aki Apac)")


def test_an_l1_request_on_friday_goes_to_the_weekend_team_at_1700_los_angeles(stack):
    created = datetime(2026, 12, 4, 12, 0, tzinfo=LA)
    with time_machine.travel(created, tick=False) as traveller:
        key = stack.request("L1", created)
        made = stack.walk(traveller, created, 6)
    assert [t for t, _ in made] == [datetime(2026, 12, 4, 16, 30, tzinfo=LA)]
    assert stack.team(key) == SELECT


def test_an_l3_request_on_a_regional_holiday_goes_to_the_select_team(stack):
    kings_day = datetime(2026, 4, 27, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))  # a Dutch public holiday
    with time_machine.travel(kings_day, tick=False):
        key = stack.request("L3", kings_day)
        assert (stack.team(key), stack.assignee(key)) == (SELECT, "Sol Select")
        assert "Routed to Select Support (Sol Select), covering EMEA." in stack.sim.comments(key)[0]["body"]
        assert stack.services.redis.zscore("psw:reminders:due", f"{key}|handoff") is None
    with time_machine.travel(kings_day + timedelta(days=1), tick=False):
        assert stack.team(stack.request("L3", kings_day + timedelta(days=1))) == EMEA


def test_a_resolved_requests_pending_handoff_is_cancelled(stack):
    created = datetime(2026, 12, 7, 8, 0, tzinfo=LA)
    with time_machine.travel(created, tick=False) as traveller:
        key = stack.request("L1", created)
        other = stack.request("L1", created)
        store = ReminderStore(stack.services.redis)
        assert store.scheduled(key, [handoffs.HANDOFF]) and store.scheduled(other, [handoffs.HANDOFF])
        # The resolution's webhook takes it off (worker/reminders/tasks.py request_changed) ...
        stack.sim.set_status(key, "Resolved")
        assert handoffs.cancel_handoff(stack.services, key, "resolved")
        assert not store.scheduled(key, [handoffs.HANDOFF])
        # ... and a firing that finds the request resolved (its webhook lost) drops it.
        stack.sim.set_status(other, "Resolved")
        traveller.move_to(datetime(2026, 12, 7, 16, 30, tzinfo=LA))
        assert f"{other}|handoff cancelled" in stack.beat()
        assert not store.scheduled(other, [handoffs.HANDOFF])
        made = stack.walk(traveller, datetime(2026, 12, 7, 16, 30, tzinfo=LA), 30)
    assert made == []
    assert stack.handoff_comments(key) == stack.handoff_comments(other) == []
    assert stack.team(key) == stack.team(other) == AMER
    # And the sweep does not put a resolved request's handoff back (it looks at open requests only).
    assert stack.audit(other, "handoff_cancelled")[-1]["reason"].startswith("status Resolved is resolved")


def test_a_handoff_whose_comment_went_out_before_its_worker_died_is_not_made_twice(stack):
    """The state a worker killed mid-handoff leaves: the claim and the lock held (they lapse in
    30 s), the reassignment and the comment sent, no done mark. The firing after the lease finds
    its marker. (tests/integration/test_handoff_kill.py kills a real worker-time process.)"""
    created = datetime(2026, 12, 7, 8, 0, tzinfo=LA)
    due = datetime(2026, 12, 7, 16, 30, tzinfo=LA)
    with time_machine.travel(created, tick=False) as traveller:
        key = stack.request("L1", created)
        traveller.move_to(created + timedelta(hours=1))
        assert stack.beat() == [f"{key}|50 superseded", f"{key}|75 superseded", f"{key}|90 superseded",
                                f"{key}|100 fired"]
        traveller.move_to(due)
        store = ReminderStore(stack.services.redis)
        dispatch_due(store, lambda name: name.encode(), QUEUE, clock.now(), timedelta(minutes=5))
        name = stack.services.redis.rpop(QUEUE).decode()
        assert name == f"{key}|handoff"
        assert fire(stack.services, name, clock.now(), SETTINGS).status == "handed_off"
        # As if that worker had died after its comment: its done mark lost, its claim back.
        stack.services.redis.delete(f"psw:handoffs:done:{key}:20261208T0100Z")
        store.replace(key, [handoffs.HANDOFF], {handoffs.HANDOFF: due})
        assert stack.beat() == [f"{key}|handoff already_posted"]
        assert len(stack.handoff_comments(key)) == 1
        assert store.scheduled(key, [handoffs.HANDOFF])[handoffs.HANDOFF][1] == \
            datetime(2026, 12, 8, 6, 30, tzinfo=UTC).timestamp()  # the next one
        # Redis lost altogether: the sweep rebuilds the handoff, which finds its comment again.
        stack.services.redis.flushdb()
        traveller.move_to(due + timedelta(minutes=5))
        report = reconcile(stack.services, clock.now(), lambda *_: None, SETTINGS)
        assert report.handoffs_rebuilt == [key]
        assert f"{key}|handoff already_posted" in stack.beat()
        assert len(stack.handoff_comments(key)) == 1


def test_a_late_triage_catches_up_with_one_handoff_to_the_holder_of_now(stack):
    created = datetime(2026, 12, 7, 8, 0, tzinfo=LA)
    with time_machine.travel(created + timedelta(hours=20), tick=False):  # three shift ends later
        key = stack.request("L1", created)
        assert stack.team(key) == AMER  # the holder at creation, then one handoff at once
        assert stack.beat() == [f"{key}|100 fired", f"{key}|handoff handed_off"]
        assert stack.team(key) == EMEA
        [comment] = stack.handoff_comments(key)
        assert comment.splitlines()[-1] == "(psw-handoff:20261208T0700Z)"
        # It says who held it on the issue, not the rota's APAC, which never had it.
        assert f"{AMER} (Ava Amer) hands this request to {EMEA} (Emil Emea)" in comment
        assert "Held by: Priority Support AMER (Ava Amer)." in comment.splitlines()
        assert stack.beat() == []


def test_shadow_mode_records_handoffs_without_writing(stack, redis_url, redis_client):
    created = datetime(2026, 12, 7, 8, 0, tzinfo=LA)
    shadow = make_services(redis_url, redis_client, stack.services.site, SHADOW_MODE="1")
    with time_machine.travel(created, tick=False) as traveller:
        key = stack.request("L1", created)  # triaged before shadow mode was switched on
        traveller.move_to(datetime(2026, 12, 7, 16, 30, tzinfo=LA))
        assert stack.beat(shadow)[-2:] == [f"{key}|100 shadow", f"{key}|handoff shadow"]
        traveller.move_to(datetime(2026, 12, 8, 6, 30, tzinfo=UTC))
        assert stack.beat(shadow) == [f"{key}|handoff shadow"]
    assert stack.team(key) == AMER and stack.handoff_comments(key) == []
    held = stack.audit(key, "shadow_write")
    assert [e["operation"] for e in held[-4:]] == ["edit_issue", "add_internal_comment", "edit_issue",
                                                   "add_internal_comment"]
    assert held[-4]["would_write"]["fields"][cat.PS_TEAM_FIELD] == {"value": APAC}
    assert [e["outcome"] for e in stack.audit(key, "handoff")] == ["shadow", "shadow"]


def test_a_retriage_after_an_entitlement_fix_routes_the_request_and_schedules_its_handoffs(stack, tmp_path):
    created = datetime(2026, 12, 7, 8, 0, tzinfo=LA)
    shipped_records = default_config_path().parent / "entitlements.yaml"
    records = tmp_path / "entitlements.yaml"
    soylent = "    users: 100\n    maintenance_end: 2027-09-30"  # Bitbucket below 251 users: not bundled
    records.write_text(shipped_records.read_text())
    stack.source = FileSource(records, frozenset(load_config(default_config_path()).regions))
    soylent_request = dict(ENTITLED, sen="SEN-10000004", product="Bitbucket", version="9.4.2",
                    reporter="scm@soylent.example")  # an AMER customer
    with time_machine.travel(created, tick=False) as traveller:
        key = stack.sim.create_request(severity="L1", created=created, fire_webhooks=False, **soylent_request)["issueKey"]
        assert stack.triage(key).decision.outcome == "not_entitled"
        assert stack.team(key) is None
        assert not ReminderStore(stack.services.redis).scheduled(key, [handoffs.HANDOFF])
        traveller.move_to(created + timedelta(minutes=10))
        records.write_text(shipped_records.read_text().replace(soylent, soylent.replace("100", "300")))
        assert stack.triage(key).decision.entitled  # what `psw retriage` queues: the same triage
        assert (stack.team(key), stack.assignee(key)) == (AMER, "Ava Amer")
        made = stack.walk(traveller, created + timedelta(minutes=10), 9)
    assert [t for t, _ in made] == [datetime(2026, 12, 7, 16, 30, tzinfo=LA)]
    assert stack.team(key) == APAC
