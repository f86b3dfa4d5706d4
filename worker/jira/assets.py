"""Entitlement records from JSM Assets, found by AQL through atlassian-python-api.

Cloud: AssetsCloud(cloud=True) discovers the workspace id from the site, then queries
POST https://api.atlassian.com/jsm/assets/workspace/{id}/v1/object/aql. Data Center:
GET {site}/rest/assets/1.0/aql/objects. The client is built on first use, so a site that is
down at start-up only makes lookups unavailable (and the triage retry), not the worker fail.

Attribute values are read by the attribute names the mapping config gives; a user attribute
yields every identity of the user (key, name, email, account id) so admins match either way.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Collection
from typing import Any

import requests
from atlassian.assets import AssetsCloud, AssetsServer
from pydantic import ValidationError

from worker import clock
from worker.config.models import AssetsAttributes
from worker.entitlement.sources import EntitlementSourceUnavailable
from worker.jira.client import check_site, secrets_of
from worker.jira.errors import JiraRetryLater
from worker.jira.outcomes import error_for_status, redact
from worker.metrics import JIRA_CALL_SECONDS, JIRA_CALLS
from worker.policy.entitlement import Entitlement, normalise_sen
from worker.settings import JiraSite

log = logging.getLogger(__name__)

_LISTS = ("products", "admins")
LIST_PAGE = 100  # objects per page when listing every record (on-boarding)
MAX_LIST_PAGES = 1000


class AssetsUnavailable(EntitlementSourceUnavailable):
    """Assets could not answer; `retry_after` is set when it asked us to wait (429, 503)."""


class AssetsSource:
    def __init__(self, site: JiraSite, aql: str, attributes: AssetsAttributes,
                 known_regions: Collection[str] | None = None, session: requests.Session | None = None,
                 list_aql: str | None = None) -> None:
        check_site(site)
        if "{sen}" not in aql:
            raise ValueError("the Assets AQL query must contain {sen}")
        self.site = site
        self.aql = aql
        self.list_aql = list_aql  # every entitlement object, for on-boarding's comparison (worker/onboarding.py)
        self.attributes = attributes
        self.known_regions = None if known_regions is None else frozenset(known_regions)
        self._session = session
        self._client: AssetsCloud | None = None
        self._secrets = secrets_of(site)

    def lookup(self, sen: str) -> Entitlement | None:
        normal = normalise_sen(sen)
        if normal is None:
            raise ValueError(f"{sen!r} is not a SEN such as SEN-12345678")
        # A normalised SEN is "SEN-" and digits, so it is safe inside the query's quotes.
        page = self._query(self.aql.replace("{sen}", normal))
        objects = page.get("values", page.get("objectEntries")) or []
        if not objects:
            return None
        if len(objects) > 1:
            raise AssetsUnavailable(f"Assets holds {len(objects)} objects for {normal}; expected one")
        return self._record(normal, objects[0], page.get("objectTypeAttributes") or [])

    def records(self) -> dict[str, Entitlement] | None:
        """Every record `list_aql` finds, by SEN (None without a `list_aql`: this source cannot be
        listed). Any object that is not a valid record makes the whole listing unavailable: a
        partial listing would look like SENs removed."""
        if not self.list_aql:
            return None
        found: dict[str, Entitlement] = {}
        for index in range(MAX_LIST_PAGES):
            page = self._query(self.list_aql, index, LIST_PAGE)
            objects = page.get("values", page.get("objectEntries")) or []
            attributes = page.get("objectTypeAttributes") or []
            for obj in objects:
                sen = normalise_sen(str((_values_by_name(obj, attributes).get(self.attributes.sen.casefold()) or [""])[0]))
                if sen is None:
                    raise AssetsUnavailable(f"Assets object {obj.get('objectKey', '?')} listed by entitlement.list_aql "
                                            f"has no SEN in its {self.attributes.sen!r} attribute")
                if sen in found:
                    raise AssetsUnavailable(f"Assets lists {sen} more than once; expected one object per SEN")
                found[sen] = self._record(sen, obj, attributes)
            if not objects or page.get("isLast") is True or len(objects) < LIST_PAGE or \
                    (isinstance(page.get("pageSize"), int) and index + 1 >= page["pageSize"]):
                return found
        raise AssetsUnavailable(f"entitlement.list_aql lists more than {MAX_LIST_PAGES * LIST_PAGE} objects")

    # -- the one call -----------------------------------------------------------------------

    def _query(self, query: str, index: int = 0, size: int = 2) -> dict[str, Any]:
        """One page (`index` from 0) of `size` objects; a lookup asks for 2 to see a duplicate."""
        outcome = "unavailable"
        started = time.perf_counter()
        try:
            try:
                client = self._client or self._build()
                if self.site.is_cloud:
                    page = client.aql(query, start=index * size, max_results=size, include_attributes=True)
                else:
                    page = client.get_aql_objects(query=query, page=index + 1, result_per_page=size,
                                                  include_attributes=True)
            except requests.HTTPError as exc:
                raise self._from_http(exc) from None
            except requests.RequestException as exc:
                raise AssetsUnavailable(redact(f"Assets unreachable: {type(exc).__name__}: {exc}", self._secrets)) from None
            if not isinstance(page, dict):
                raise AssetsUnavailable("Assets answered the AQL query with something other than a JSON object")
            outcome = "ok"
            return page
        except AssetsUnavailable as exc:
            outcome = "retry_later" if exc.retry_after is not None else "unavailable"
            log.warning("%s", exc)
            raise
        finally:
            JIRA_CALLS.labels(operation="assets_aql", outcome=outcome).inc()
            JIRA_CALL_SECONDS.labels(operation="assets_aql").observe(time.perf_counter() - started)

    def _build(self) -> AssetsCloud:
        common = dict(url=self.site.url.rstrip("/"), timeout=max(1, round(self.site.timeout)),
                      backoff_and_retry=False, retry_with_header=False, retry_status_codes=[],
                      max_backoff_retries=0)
        if self._session is not None:
            common["session"] = self._session
        if self.site.is_cloud:  # this constructor already calls the site (workspace discovery)
            client = AssetsCloud(username=self.site.email, password=self.site.api_token, cloud=True, **common)
        else:
            client = AssetsServer(token=self.site.personal_access_token, **common)
        client.timeout = self.site.timeout
        self._client = client
        return client

    def _from_http(self, exc: requests.HTTPError) -> AssetsUnavailable:
        response = exc.response
        if response is None:
            return AssetsUnavailable(redact(f"Assets query failed: {exc}", self._secrets))
        error = error_for_status("Assets AQL query", response.status_code, response.headers, response.text,
                                 clock.now(), reason=response.reason or "", secrets=self._secrets)
        retry_after = error.retry_after if isinstance(error, JiraRetryLater) else None
        # Even a 4xx (bad AQL, no permission) is retried: the answer is "cannot tell", never
        # "not entitled"; the log and the metrics show an admin what to fix.
        return AssetsUnavailable(str(error or f"Assets answered {response.status_code}"), retry_after)

    # -- object -> record ---------------------------------------------------------------------

    def _record(self, sen: str, obj: dict[str, Any], type_attributes: list[dict[str, Any]]) -> Entitlement:
        values = _values_by_name(obj, type_attributes)
        data: dict[str, Any] = {}
        for key, attribute in self.attributes.model_dump().items():
            found = values.get(attribute.casefold())
            if not found:
                continue
            data[key] = found if key in _LISTS else found[0]
        try:
            record = Entitlement.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                                 for e in exc.errors(include_url=False))
            raise AssetsUnavailable(f"Assets object {obj.get('objectKey', '?')} for {sen} is not a valid "
                                    f"entitlement record: {problems}") from None
        if record.sen != sen:
            raise AssetsUnavailable(f"the AQL query for {sen} returned the object of {record.sen}")
        if self.known_regions is not None and record.region not in self.known_regions:
            raise AssetsUnavailable(f"Assets object {obj.get('objectKey', '?')} for {sen} names region "
                                    f"{record.region!r}, which the mapping config does not define")
        return record


def _values_by_name(obj: dict[str, Any], type_attributes: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Attribute name (case-folded) -> its values, from an Assets object with attributes."""
    names = {str(a.get("id")): a.get("name") for a in type_attributes if isinstance(a, dict)}
    found: dict[str, list[Any]] = {}
    for attribute in obj.get("attributes") or []:
        name = (attribute.get("objectTypeAttribute") or {}).get("name") \
            or names.get(str(attribute.get("objectTypeAttributeId")))
        if not name:
            continue
        values: list[Any] = []
        for value in attribute.get("objectAttributeValues") or []:
            user, referenced = value.get("user"), value.get("referencedObject")
            if isinstance(user, dict):
                values += [user[k] for k in ("key", "name", "emailAddress", "accountId") if user.get(k)]
            elif isinstance(referenced, dict):
                values.append(referenced.get("label") or value.get("displayValue"))
            elif value.get("value") is not None:
                values.append(value["value"])
            elif value.get("displayValue") is not None:
                values.append(value["displayValue"])
        found[name.casefold()] = values
    return found
