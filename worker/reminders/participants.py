"""What a first-response check needs to tell an agent's comment from a customer's, read from Jira
only when a comment's author is in doubt (docs/POLICY.md 5).

- The request participants field: `fields.request_participants` in the mapping config, else the
  field of JSM's request participants type in Jira's field list (same type key on Cloud and Data
  Center), kept in Redis for a day so the list is read once a day, not per check.
- A Cloud author's `accountType`, looked up (GET /rest/api/3/user) when the comment does not
  carry it: the service desk API's comments name their author without it. Data Center users
  have no account type.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import logging

import redis

from worker.bodies import mapping, text
from worker.jira.errors import JiraRejected

log = logging.getLogger(__name__)

PARTICIPANTS_TYPE = "com.atlassian.servicedesk:sd-request-participants"
FIELD_KEY = "psw:reminders:participants-field"
FIELD_TTL = timedelta(days=1)
NO_FIELD = "-"  # cached: the site has no such field (not a service desk, or renamed type)


def participants_field(client: redis.Redis, configured: str | None, gateway: Any) -> str | None:
    """The request participants field's id, or None when the site has none."""
    if configured:
        return configured
    cached = client.get(FIELD_KEY)
    if cached is not None:
        found = cached.decode()
        return None if found == NO_FIELD else found
    found = next((str(f["id"]) for f in gateway.get_fields()
                  if isinstance(f, Mapping) and f.get("id")
                  and mapping(f.get("schema")).get("custom") == PARTICIPANTS_TYPE), None)
    client.set(FIELD_KEY, found or NO_FIELD, ex=FIELD_TTL)
    return found


class AccountTypes:
    """Cloud account types by account id, each looked up once per check."""

    def __init__(self, gateway: Any):
        self.gateway = gateway
        self._known: dict[str, str | None] = {}

    def __call__(self, author: Mapping[str, Any]) -> str | None:
        account_id = text(author.get("accountId"))
        if not account_id or self.gateway.deployment != "cloud":
            return None
        if account_id not in self._known:
            try:
                user = self.gateway.get_user(account_id=account_id)
            except JiraRejected as exc:
                if exc.status != 403:
                    raise
                # No "Browse users and groups": the participants tell what they can; a refused
                # lookup must not drop the reminder (a refused call fails a firing for good).
                log.warning("account type of a comment's author not readable (%s); "
                            "grant the automation account Browse users and groups", exc)
                user = None
            self._known[account_id] = text((user or {}).get("accountType"))
        return self._known[account_id]
