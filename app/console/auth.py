"""Who is signed in to the console.

Two ways in, both only while ADMIN_TOKEN is set (without it the console is off, like the admin API):
- the admin token, typed once on the sign-in page, exchanged for a session: a random id in a
  cookie (Flask's signed session cookie: HttpOnly, SameSite=Lax, path /console, Secure when the
  request came over HTTPS), whose record lives in Redis under the id's SHA-256 with the session's
  lifetime, so signing out ends it on the server and a copied cookie is worth nothing after;
- the user a trusted reverse proxy names in CONSOLE_PROXY_USER_HEADER (its own single sign-on),
  believed only from the TRUSTED_PROXIES networks.
X-Forwarded-Proto is believed only from those networks too. The token is compared in constant
time and never logged, stored or echoed: the session record holds who and when, not the token.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from datetime import timedelta
from functools import lru_cache

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from worker import clock
from worker.settings import Settings

SESSION_KEY = "psw:console:session:"
TOKEN_USER = "admin (token)"
MAX_TOKEN_CHARS = 4096  # longer than any token anyone types; more is refused before comparing

# The console's CSRF check (views.py calls it; app/console/__init__.py binds it to the app).
csrf = CSRFProtect()


def configure(app: Flask, settings: Settings) -> None:
    token = settings.admin_token
    # The cookie signing key is derived from the admin token: the same in every web process with
    # no extra setting, and changing the token signs every console session out.
    app.secret_key = hmac.new(token.encode(), b"psw console session v1", hashlib.sha256).hexdigest() if token else None
    app.config.update(SESSION_COOKIE_NAME="psw_console", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_PATH="/console",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.console.session_hours))
    app.session_interface = ConsoleSessionInterface()


class ConsoleSessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return over_https()


def services():
    """The app's services (app/__init__.py), for every console module."""
    return current_app.extensions["psw"]


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def from_trusted_proxy() -> bool:
    proxies = services().settings.console.trusted_proxies
    if not proxies or not request.remote_addr:
        return False
    try:
        peer = ipaddress.ip_address(request.remote_addr)
    except ValueError:
        return False
    return any(peer in network for network in _networks(proxies))


def over_https() -> bool:
    if request.is_secure:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return forwarded.split(",")[0].strip().lower() == "https" and from_trusted_proxy()


def _record_key(sid: str) -> str:
    return SESSION_KEY + hashlib.sha256(sid.encode()).hexdigest()


def current_user() -> str | None:
    header = services().settings.console.proxy_user_header
    if header and from_trusted_proxy():
        named = request.headers.get(header, "").strip()
        if named and len(named) <= 200 and named.isprintable():
            return named
    sid = session.get("sid")
    if not isinstance(sid, str):
        return None
    raw = services().redis.get(_record_key(sid))
    return json.loads(raw)["user"] if raw else None


def token_matches(given: str) -> bool:
    token = services().settings.admin_token
    if not token or len(given) > MAX_TOKEN_CHARS:
        return False
    return hmac.compare_digest(given.encode(), token.encode())


def sign_in(user: str = TOKEN_USER) -> None:
    """A new session (a new id and a new CSRF token: nothing from before sign-in carries over)."""
    session.clear()
    sid = secrets.token_urlsafe(32)
    lifetime = current_app.permanent_session_lifetime
    services().redis.set(_record_key(sid), json.dumps({"user": user, "at": clock.now().isoformat()}),
                          ex=int(lifetime.total_seconds()))
    session["sid"] = sid
    session.permanent = True


def sign_out() -> None:
    sid = session.get("sid")
    if isinstance(sid, str):
        services().redis.delete(_record_key(sid))
    session.clear()
