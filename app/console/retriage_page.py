"""The console's Re-triage button (issue 14 point 3): a first POST shows the dry run (before,
after, what changed, the comment the re-triage would post), a second POST applies exactly that
dry run (its decision id rides in the form: if the decision changed in between, the fresh dry
run is shown again and nothing is queued). Both are forms with the CSRF token; the re-triage
itself is worker/retriage.py, shared with `psw retriage` and the admin API."""
from __future__ import annotations

import re

from flask import g, request, url_for

from app.console.views import ISSUE_KEY, _page, _problem, bp, signed_in
from app.retriage_views import RetriageRefused, retriage
from worker.retriage import StalePreview

STEPS = ("preview", "apply")
DECISION_ID = re.compile(r"[0-9a-f]{16}")


@bp.post("/requests/<issue_key>/retriage")
@signed_in
def retriage_request(issue_key: str):
    if not ISSUE_KEY.fullmatch(issue_key):
        return _problem(400, "Not an issue key", "An issue key looks like PS-123.")
    step = request.form.get("step", "")
    if step not in STEPS:
        return _problem(400, "Re-triage refused", "The form must say step=preview (the dry run) or step=apply.")
    expected = None
    if step == "apply":
        expected = request.form.get("decision_id", "")
        if not DECISION_ID.fullmatch(expected):
            return _problem(400, "Re-triage refused", "Apply the re-triage from its dry run (the form lacks the "
                            "decision it shows); press Re-triage again.")
    who = f"{g.console_user} via the console"
    stale = False
    try:
        result = retriage(issue_key, who, "console", dry_run=step == "preview", expect_decision=expected)
    except StalePreview as exc:
        result, stale = exc.preview, True
    except RetriageRefused as exc:
        return _problem(exc.status, "Re-triage refused", str(exc))
    return _page("retriage.html", result=result, key=issue_key, stale=stale,
                 back=url_for("console.request_view", issue_key=issue_key))
