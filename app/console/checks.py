"""Every entitlement check of a decision, passed or failed, with its reason. Pure.

The decision records only the checks that failed (worker/policy/entitlement.py reports every
failing rule, each with a sentence); the rest passed, or could not be judged without an
entitlement record. This lists them all in docs/POLICY.md section 4's order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.policy.entitlement import BLOCKED_RULE, ReasonCode
from worker.reminders.plan import RecordedDecision

PASS, FAIL, NOT_CHECKED, NOT_JUDGED = "pass", "fail", "not checked", "not judged"

# A "cannot decide" code (docs/POLICY.md section 4) is shown against the rule it kept from being
# judged: the request was deferred there, not rejected.
JUDGES = BLOCKED_RULE

# (code, the check in words, what passing means, needs the entitlement record)
CHECKS = (
    (ReasonCode.FACT_UNREADABLE, "every fact readable", "every field the rules read holds a readable value", False),
    (ReasonCode.SEN_MISSING, "the request gives a SEN", "the request gives {sen}", False),
    (ReasonCode.SEN_UNKNOWN, "the SEN is in the entitlement records",
     "{sen} is in the records: {customer}, region {region}", False),
    (ReasonCode.NOT_PRIORITY, "Priority Support purchased or bundled",
     "purchased for the SEN, or bundled with its licence", True),
    (ReasonCode.MAINTENANCE_EXPIRED, "maintenance current at creation",
     "maintenance had not ended when the request was created", True),
    (ReasonCode.PRODUCT_NOT_COVERED, "product covered and on the SEN",
     "the request's product is covered and on the SEN", False),
    (ReasonCode.REPORTER_NOT_ADMIN, "reporter is an admin contact",
     "the reporter is an admin contact of the SEN", True),
    (ReasonCode.UNSUPPORTED_RELEASE, "release supported",
     "the version is neither a pre-release nor past End of Life (or none was given)", False),
    (ReasonCode.OUT_OF_SCOPE, "request in scope", "no out-of-scope request type, field value or language", False),
)


@dataclass(frozen=True)
class Check:
    name: str
    code: str
    result: str  # PASS, FAIL, NOT_CHECKED
    reason: str


def checklist(prop: dict[str, Any]) -> list[Check]:
    recorded = RecordedDecision.parse(prop)
    failed: dict[str, str] = {}
    unjudged: dict[str, str] = {}
    for code, detail in recorded.reason_details:
        blocked = JUDGES.get(code)
        if blocked is None:
            failed.setdefault(code, detail)
        else:
            unjudged.setdefault(blocked.value, detail)
    no_record = ReasonCode.SEN_MISSING in failed or ReasonCode.SEN_UNKNOWN in failed
    words = {"sen": recorded.sen or "?", "customer": recorded.customer or "?", "region": recorded.region or "?"}
    out = []
    for code, name, passing, needs_record in CHECKS:
        if code in failed:
            out.append(Check(name, code.value, NOT_JUDGED if code is ReasonCode.FACT_UNREADABLE else FAIL,
                             failed[code]))
        elif code in unjudged:
            out.append(Check(name, code.value, NOT_JUDGED, unjudged[code]))
        elif needs_record and no_record or (code is ReasonCode.SEN_UNKNOWN and ReasonCode.SEN_MISSING in failed):
            out.append(Check(name, code.value, NOT_CHECKED, "needs the SEN's entitlement record"))
        elif code is ReasonCode.PRODUCT_NOT_COVERED and no_record:
            out.append(Check(name, code.value, PASS, "no product problem found; with no entitlement "
                                                     "record it is not compared with a SEN"))
        else:
            out.append(Check(name, code.value, PASS, passing.format(**words)))
    known = {code.value for code, *_ in CHECKS} | {code.value for code in JUDGES}
    # A reason this page has no words for (a newer policy rule) is still shown, as the triage gave it.
    out += [Check(code, code, FAIL, detail) for code, detail in failed.items() if code not in known]
    return out
