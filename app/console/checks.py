"""Every entitlement check of a decision, passed or failed, with its reason. Pure.

The decision records only the checks that failed (worker/policy/entitlement.py reports every
failing rule, each with a sentence) and those it could not judge (`undecided`: a fact unreadable
or unknown); the rest passed, or could not be judged without an entitlement record. This lists
them all in docs/POLICY.md section 4's order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.policy.entitlement import ReasonCode

PASS, FAIL, NOT_CHECKED = "pass", "fail", "not checked"

# (code, the check in words, what passing means, needs the entitlement record)
CHECKS = (
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


# A rule the triage could not judge, shown on the check it belongs to (FACT_UNREADABLE, which may
# concern any field, gets a row of its own).
NOT_JUDGED_ON = {ReasonCode.REPORTER_UNVERIFIED: ReasonCode.REPORTER_NOT_ADMIN,
                 ReasonCode.RELEASE_UNJUDGED: ReasonCode.UNSUPPORTED_RELEASE}


@dataclass(frozen=True)
class Check:
    name: str
    code: str
    result: str  # PASS, FAIL, NOT_CHECKED
    reason: str


def checklist(prop: dict[str, Any]) -> list[Check]:
    failed: dict[str, str] = {}
    for reason in prop.get("reasons") or ():
        if isinstance(reason, dict) and isinstance(reason.get("code"), str):
            failed.setdefault(reason["code"], str(reason.get("detail") or ""))
    not_judged: dict[str, str] = {}
    for reason in prop.get("undecided") or ():
        if isinstance(reason, dict) and isinstance(reason.get("code"), str):
            not_judged.setdefault(reason["code"], str(reason.get("detail") or ""))
    on_check = {NOT_JUDGED_ON[ReasonCode(c)].value: d for c, d in not_judged.items()
                if c in ReasonCode.__members__ and ReasonCode(c) in NOT_JUDGED_ON}
    no_sen = not prop.get("sen") and ReasonCode.SEN_MISSING not in failed  # e.g. an unreadable SEN field
    no_record = ReasonCode.SEN_MISSING in failed or ReasonCode.SEN_UNKNOWN in failed or no_sen
    words = {k: prop.get(k) or "?" for k in ("sen", "customer", "region")}
    out = []
    for code, name, passing, needs_record in CHECKS:
        if code in failed:
            out.append(Check(name, code.value, FAIL, failed[code]))
        elif code.value in on_check:
            out.append(Check(name, code.value, NOT_CHECKED, on_check[code.value]))
        elif no_sen and code in (ReasonCode.SEN_MISSING, ReasonCode.SEN_UNKNOWN):
            out.append(Check(name, code.value, NOT_CHECKED, "the SEN could not be read"))
        elif needs_record and no_record or (code is ReasonCode.SEN_UNKNOWN and ReasonCode.SEN_MISSING in failed):
            out.append(Check(name, code.value, NOT_CHECKED, "needs the SEN's entitlement record"))
        elif code is ReasonCode.PRODUCT_NOT_COVERED and no_record:
            out.append(Check(name, code.value, PASS, "no product problem found; with no entitlement "
                                                     "record it is not compared with a SEN"))
        else:
            out.append(Check(name, code.value, PASS, passing.format(**words)))
    known = {code.value for code, *_ in CHECKS}
    # A reason this page has no words for (a newer policy rule) is still shown, as the triage gave it.
    out += [Check(code, code, FAIL, detail) for code, detail in failed.items() if code not in known]
    # What could not be judged and has no check of its own (an unreadable field) is shown too.
    out += [Check(code, code, NOT_CHECKED, detail) for code, detail in not_judged.items()
            if not (code in ReasonCode.__members__ and ReasonCode(code) in NOT_JUDGED_ON)]
    return out
