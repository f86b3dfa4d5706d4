"""The one way this service reaches Redis: a plain URL (`redis://`, `rediss://` for TLS, with a
password or a user and password), or Redis Sentinel, which names the current primary of a
replicated Redis and fails over to a replica when it dies.

Both the Celery broker (kombu's `sentinel://` transport, `master_name` transport option) and
the service's own keys (redis-py's `Sentinel.master_for`) follow the primary Sentinel names.
With Sentinel, REDIS_URL still gives the database number, the primary's password and `rediss://`
for TLS; only its host and port are Sentinel's to choose.
"""
from __future__ import annotations

import ssl
from urllib.parse import parse_qs, quote, urlsplit

import redis
from redis.sentinel import Sentinel

from worker.settings import Settings

# REDIS_URL's `ssl_cert_reqs` (checked by worker/settings.py) as the ssl module's constants.
_CERT_REQS = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}


def client(settings: Settings, *, connect_timeout: float, timeout: float) -> redis.Redis:
    """A client of the service's Redis (the primary, under Sentinel), with these socket timeouts."""
    sentinel = settings.redis_sentinel
    if sentinel is None:
        return redis.Redis.from_url(settings.redis_url, socket_connect_timeout=connect_timeout,
                                    socket_timeout=timeout)
    parts = urlsplit(settings.redis_url)
    options = dict(socket_connect_timeout=connect_timeout, socket_timeout=timeout, db=_db(settings.redis_url),
                   username=parts.username or None, password=parts.password or None)
    if parts.scheme == "rediss":
        options.update(ssl=True, **_ssl_options(settings.redis_url))
    watchers = Sentinel(list(sentinel.hosts), socket_connect_timeout=connect_timeout, socket_timeout=timeout,
                        sentinel_kwargs={"password": sentinel.password or None,
                                         "socket_connect_timeout": connect_timeout, "socket_timeout": timeout})
    return watchers.master_for(sentinel.master, **options)


def broker_url(settings: Settings) -> str:
    """Celery's broker URL: REDIS_URL itself, or one `sentinel://` URL per Sentinel, `;`-joined."""
    sentinel = settings.redis_sentinel
    if sentinel is None:
        return settings.redis_url
    parts = urlsplit(settings.redis_url)
    auth = ""
    if parts.password:
        auth = f"{quote(parts.username or '', safe='')}:{quote(parts.password, safe='')}@"
    return ";".join(f"sentinel://{auth}{host}:{port}/{_db(settings.redis_url)}" for host, port in sentinel.hosts)


def broker_transport_options(settings: Settings) -> dict:
    """What kombu's transport needs beyond the URL: under Sentinel, the primary's name and
    Sentinel's own password."""
    sentinel = settings.redis_sentinel
    if sentinel is None:
        return {}
    options: dict = {"master_name": sentinel.master}
    if sentinel.password:
        options["sentinel_kwargs"] = {"password": sentinel.password}
    return options


def broker_use_ssl(settings: Settings) -> dict | None:
    """kombu's TLS options for a `rediss://` REDIS_URL (certificate checks from its query)."""
    if urlsplit(settings.redis_url).scheme != "rediss":
        return None
    return _ssl_options(settings.redis_url)


def _ssl_options(url: str) -> dict:
    query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    options = {"ssl_cert_reqs": _CERT_REQS[query.get("ssl_cert_reqs", "required")]}
    for name in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
        if query.get(name):
            options[name] = query[name]
    return options


def _db(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0

