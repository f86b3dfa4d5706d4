"""On-boarding: when the entitlement source gains a SEN or a record changes, that SEN's open
requests are re-triaged (worker/retriage.py), and nothing else.

The sweep (worker/reminders/tasks.py `reconcile`, every RECONCILE_INTERVAL_SECONDS) lists the
source's records and compares a digest per SEN with the one kept in Redis (`psw:onboarding:
digests`). For each SEN added, changed or removed it queues a re-triage of every open request
carrying it, then stores the new digest: a Jira failure before that leaves the old digest, so
the next sweep tries again and nothing is lost; a re-triage queued twice finds its work done.

The first listing a Redis sees (no `psw:onboarding:baseline`) is only recorded: every SEN would
look new, and re-triaging every open request of every customer is not on-boarding. So a change
made while Redis was empty (lost) is not noticed; `psw retriage --sen SEN` does it by hand.

In shadow mode the re-triages are queued as usual (the workers record them and write nothing),
and the digests are kept apart (`:shadow`): once shadow mode is off, the live digests still say
what the live requests were decided on, and the changes are re-triaged for real.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from worker import clock
from worker.entitlement.files import Records
from worker.entitlement.sources import fresh
from worker.retriage import REASON, open_requests_of, queue

log = logging.getLogger(__name__)

DIGESTS = "psw:onboarding:digests"
BASELINE = "psw:onboarding:baseline"


def _keys(shadow: bool) -> tuple[str, str]:
    suffix = ":shadow" if shadow else ""
    return DIGESTS + suffix, BASELINE + suffix


@dataclass
class OnboardingReport:
    baseline: bool = False  # this listing was the first: recorded, nothing queued
    listed: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    queued: dict[str, list[str]] = field(default_factory=dict)  # SEN -> the requests re-triaged
    unlisted: bool = False  # the source cannot list its records (see `listing`)


def digest(record) -> str:
    return hashlib.sha256(record.model_dump_json().encode()).hexdigest()[:16]


def listing(source) -> Records | None:
    """Every record of the source by SEN, or None when it cannot list them (a lookup-only source)."""
    source = fresh(source)
    records = getattr(source, "records", None)
    return records() if callable(records) else None


def check(svc, celery_app) -> OnboardingReport:
    """One comparison of the source with the last one. Errors of the source or Jira propagate."""
    report = OnboardingReport()
    records = listing(svc.entitlements())
    if records is None:
        report.unlisted = True
        return report
    now = {sen: digest(record) for sen, record in records.items()}
    report.listed = len(now)
    digests, baseline = _keys(svc.settings.shadow_mode)
    if not svc.redis.exists(baseline):
        pipe = svc.redis.pipeline(transaction=True)
        pipe.delete(digests)
        if now:
            pipe.hset(digests, mapping=now)
        pipe.set(baseline, clock.now().isoformat())
        pipe.execute()
        report.baseline = True
        log.info("on-boarding: first listing of the entitlement source recorded (%d SENs)", len(now))
        return report
    known = {k.decode(): v.decode() for k, v in svc.redis.hgetall(digests).items()}
    report.added = sorted(set(now) - set(known))
    report.changed = sorted(sen for sen in set(now) & set(known) if now[sen] != known[sen])
    report.removed = sorted(set(known) - set(now))
    for what, sens in (("record added", report.added), ("record changed", report.changed),
                       ("record removed", report.removed)):
        for sen in sens:
            why = f"on-boarding of {sen} ({what})"
            keys = open_requests_of(svc, sen)
            for key in keys:
                queue(svc, celery_app, key, why)
                svc.audit.record(key, REASON, outcome="queued", requested_by=why, via="onboarding",
                                 shadow=svc.settings.shadow_mode)
            report.queued[sen] = keys
            if sen in now:
                svc.redis.hset(digests, sen, now[sen])
            else:
                svc.redis.hdel(digests, sen)
            log.info("on-boarding: %s: %d open request(s) queued for re-triage%s", why, len(keys),
                     f": {', '.join(keys)}" if keys else "")
    return report
