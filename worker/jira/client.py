"""Builds the atlassian-python-api client for a JiraSite: auth, timeout, and no retries of its own.

The gateway makes exactly one HTTP request per attempt; the Celery task decides when to try
again (docs/DESIGN.md decision 5). atlassian-python-api retries in three places, all switched off:
- `retry_with_header` (on by default!) sleeps for Retry-After and repeats a 429 once;
- `backoff_and_retry` sleeps and repeats on `retry_status_codes`;
- with urllib3 >= 2 and backoff_and_retry it mounts an HTTPAdapter with a urllib3 Retry.
We also mount a zero-retry adapter for the site, so a session handed in by the caller cannot
bring its own urllib3 Retry.

At DEBUG the library logs every response body. Auth never appears there (it lives on the
session, and the library logs only per-request headers), but a proxy or a misbehaving server
could echo a token back, so the library's logger redacts the tokens of every site we built.
"""
from __future__ import annotations

import base64
import logging
from urllib.parse import urlsplit

import requests
from atlassian import Jira
from requests.adapters import HTTPAdapter

from worker.jira.outcomes import redact
from worker.settings import JiraSite

DEPLOYMENTS = ("cloud", "datacenter")


def check_site(site: JiraSite) -> None:
    """ValueError naming the problem when `site` cannot be used to reach Jira."""
    parts = urlsplit(site.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"Jira URL must be an http(s) URL with a host, got {site.url!r}")
    if parts.username or parts.password:
        raise ValueError("Jira URL must not carry credentials; use the email/token settings")
    if site.deployment not in DEPLOYMENTS:
        raise ValueError(f"Jira deployment must be 'cloud' or 'datacenter', got {site.deployment!r}")
    if site.is_cloud and not (site.email and site.api_token):
        raise ValueError("a Jira Cloud site needs an email and an API token")
    if not site.is_cloud and not site.personal_access_token:
        raise ValueError("a Jira Data Center site needs a personal access token")
    if not site.timeout > 0:
        raise ValueError(f"Jira timeout must be a positive number of seconds, got {site.timeout!r}")


def secrets_of(site: JiraSite) -> tuple[str, ...]:
    """The strings that must never appear in a message or log line (tokens, and Cloud's Basic header)."""
    found = [s for s in (site.api_token, site.personal_access_token) if s]
    if site.email and site.api_token:
        found.append(base64.b64encode(f"{site.email}:{site.api_token}".encode()).decode())
    return tuple(found)


class _RedactSecrets(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_LIBRARY_LOG_FILTER = _RedactSecrets()
logging.getLogger("atlassian.rest_client").addFilter(_LIBRARY_LOG_FILTER)


def new_session(site: JiraSite) -> requests.Session:
    """A session for `site`, meant to live as long as the process: it keeps connections open.

    Proxies (requests reads the standard HTTPS_PROXY, NO_PROXY ... itself) and the site's CA
    bundle are taken once, here, rather than on every request (requests' `trust_env` re-reads
    them per call, which costs more than the call's own Python work on a fast network).
    """
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(site.url))
    if site.ca_bundle:
        session.verify = site.ca_bundle
    session.trust_env = False
    return session


def build_client(site: JiraSite, session: requests.Session | None = None) -> Jira:
    """An atlassian `Jira` client for `site` that sends each request exactly once."""
    check_site(site)
    _LIBRARY_LOG_FILTER.secrets.update(secrets_of(site))
    session = session if session is not None else new_session(site)
    session.mount(site.url.rstrip("/") + "/", HTTPAdapter(max_retries=0))
    common = dict(
        url=site.url.rstrip("/"),
        session=session,
        cloud=site.is_cloud,
        backoff_and_retry=False,
        retry_with_header=False,
        retry_status_codes=[],
        max_backoff_retries=0,
    )
    if site.is_cloud:
        client = Jira(username=site.email, password=site.api_token, **common)
    else:
        client = Jira(token=site.personal_access_token, **common)
    # The library stores int(timeout), which would turn 0.5 s into "no time at all".
    client.timeout = site.timeout
    return client
