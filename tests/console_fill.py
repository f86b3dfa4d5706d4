"""Real triage decisions (the shipped config and sample entitlement records, worker/policy's
`decide` and the triage's `plan_writes`) put in the open requests index as the triage puts them,
or kept with their inputs for the config preview as the triage task keeps them: for the
console's tests, browser tests and benchmark."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from tests.policy_helpers import facts, sample_records, shipped
from worker import open_requests, recent_decisions
from worker.policy.decision import decide
from worker.policy.facts import Reporter
from worker.recent_decisions import DecisionInputs
from worker.reminders.plan import ReminderPlan
from worker.reminders.store import ReminderStore
from worker.triage import decision_id, plan_writes

SEVERITY = {"L1": "L1 - Production down", "L2": "L2 - Serious degradation",
            "L3": "L3 - Moderate impact", "L4": "L4 - Limited impact"}


def _request(key: str, created: datetime, level: str, sen: str, **overrides):
    """(facts, record) of a request like the sample one: the record's own admin asking about its own product."""
    record = sample_records().get(sen)
    if record is not None:
        overrides = {"reporter": Reporter(email=record.admins[0]), "product": record.products[0],
                     "version": None, **overrides}
    return facts(issue_key=key, created=created, severity_option=SEVERITY[level], sen=sen, **overrides), record


def decision_property(key: str, created: datetime, level: str = "L3", sen: str = "SEN-10000001",
                      now: datetime | None = None, **overrides) -> dict:
    """The `priority-support` property the triage writes for a request like the sample one."""
    request, record = _request(key, created, level, sen, **overrides)
    decision = decide(request, record, shipped(), now or created)
    did = decision_id(decision)
    return plan_writes(decision, did, {}, f"test-{key}", now or created).property


def keep_decision(client, key: str, created: datetime, level: str = "L3", sen: str = "SEN-10000001",
                  now: datetime | None = None, **overrides) -> None:
    """The decision kept with its inputs as the triage task keeps it (worker/recent_decisions.py)."""
    request, record = _request(key, created, level, sen, **overrides)
    at = now or created
    recent_decisions.record(client, DecisionInputs(request, record, None, at), decide(request, record, shipped(), at))


def put(client, key: str, created: datetime, level: str = "L3", summary: str = "Something broke",
        now: datetime | None = None, **kwargs) -> dict:
    """One triaged request as the triage leaves it: on the board, its reminders on the schedule."""
    prop = decision_property(key, created, level, now=now, **kwargs)
    open_requests.record(client, key, prop, {"summary": summary})
    plan = ReminderPlan.from_property(key, prop)
    ReminderStore(client).replace(key, plan.codes, {t.code: t.instant for t in plan.pending(now or created)})
    return prop


def fill(client, count: int, now: datetime, seed: int = 14) -> None:
    """`count` open entitled requests of every level, region and several customers, created over
    the last three days: some breached, some at risk, some with time left; their reminders on the
    schedule as the triage leaves them (no beat has run: the highest passed one waits to fire)."""
    rng = random.Random(seed)
    config = shipped()
    entitled = [sen for sen, rec in sample_records().items() if _entitled(config, sen, now)]
    templates = {}
    for sen in entitled:
        for level in SEVERITY:
            templates[(sen, level)] = decision_property("PS-0", now - timedelta(hours=1), level, sen=sen, now=now)
    pipe_rows = []
    for n in range(1, count + 1):
        sen, level = rng.choice(entitled), rng.choice(list(SEVERITY))
        created = now - timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
        key = f"PS-{n}"
        # Shift a template's instants rather than deciding 5,000 times: same shape, same sizes.
        prop = _shifted(templates[(sen, level)], key, created, config)
        pipe_rows.append((key, prop, {"summary": f"Request {n}: {rng.choice(_WORDS)}"}))
    store = ReminderStore(client)
    for key, prop, fields in pipe_rows:
        open_requests.record(client, key, prop, fields)
        plan = ReminderPlan.from_property(key, prop)
        store.replace(key, plan.codes, {t.code: t.instant for t in plan.pending(now)})


def _entitled(config, sen: str, now: datetime) -> bool:
    prop = decision_property("PS-0", now, "L3", sen=sen, now=now)
    return prop["entitled"]


def _shifted(template: dict, key: str, created: datetime, config) -> dict:
    times = config.sla_policy().due(template["level"], template["region"], created,
                                    zone=template["time_zone"] if template["time_zone"] != config.regions[template["region"]].zone else None)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    reminders = [{"at": at, "instant": (times.due if at >= 1 else times.reminders[at]).strftime(iso)}
                 for at in sorted(r["at"] for r in template["reminders"])]
    return {**template, "issue_key": key, "created": created.strftime(iso), "due": times.due.strftime(iso),
            "reminders": reminders}


_WORDS = ("login fails for every user", "slow search since upgrade", "indexing stuck", "mail queue growing",
          "attachments missing", "node out of memory", "SSO loop after restart", "<b>markup</b> in a summary")
