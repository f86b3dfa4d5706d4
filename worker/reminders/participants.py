"""What a first-response check needs to tell an agent's comment from a customer's, read from Jira
only when a comment's author is in doubt (docs/POLICY.md 5).

- The request participants field: `fields.request_participants` in the mapping config, else the
  field of JSM's request participants type in Jira's field list (same type key on Cloud and Data
  Center), kept in Redis for a day so the list is read once a day, not per check.
- An author's account type, looked up when the comment does not carry it (the service desk API's
  comments name their author without it): Cloud's `accountType` (GET /rest/api/3/user), and on
  Data Center whether the user holds a licence (GET /rest/api/2/user?expand=applicationRoles).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

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
    """An author's account type as Cloud names it ("atlassian", "customer", "app"), looked up once
    per author per check. Cloud answers it; Data Center has none, but its user lookup shows the
    applications a user may use (`expand=applicationRoles`): a licensed user is an agent's kind
    ("atlassian"), a user with none a JSM customer ("customer"). None: the lookup cannot tell."""

    def __init__(self, gateway: Any):
        self.gateway = gateway
        self._known: dict[str, str | None] = {}

    def __call__(self, author: Mapping[str, Any]) -> str | None:
        cloud = self.gateway.deployment == "cloud"
        ident = text(author.get("accountId")) if cloud else text(author.get("name"))
        if not ident:
            return None
        if ident not in self._known:
            self._known[ident] = self._look_up(ident, cloud)
        return self._known[ident]

    def _look_up(self, ident: str, cloud: bool) -> str | None:
        try:
            if cloud:
                user = self.gateway.get_user(account_id=ident)
            else:
                user = self.gateway.get_user(username=ident, expand=["applicationRoles"])
        except JiraRejected as exc:
            if exc.status != 403:
                raise
            # No "Browse users": the participants tell what they can; a refused lookup must not
            # drop the reminder (a refused call fails a firing for good).
            log.warning("a comment author's account is not readable (%s); grant the automation "
                        "account Browse users and groups", exc)
            return None
        if cloud:
            return text((user or {}).get("accountType"))
        roles = mapping(mapping(user).get("applicationRoles"))
        size = roles.get("size")
        if isinstance(size, bool) or not isinstance(size, int):
            return None  # no such expansion on this version: the participants decide
        return "atlassian" if size > 0 else "customer"
