"""The web console for ops and admins, under /console: server-rendered pages (Jinja2, one
stylesheet, no JavaScript needed) over what the worker keeps in Redis; no Jira call per page.

- sign-in (auth.py): ADMIN_TOKEN exchanged for a session, or the user a trusted reverse proxy
  names; off (404) without ADMIN_TOKEN, like the admin API;
- the board (board.py): open Priority Support requests, most urgent first, from the index the
  worker keeps (worker/open_requests.py), with breach counts;
- a request (request_page.py, clock_svg.py): the decision and every entitlement check, a picture
  of the SLA clock on the level's calendar, the audit trail;
- the service (service_views.py): its health on one page (health_page.py).
"""
from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from worker.settings import Settings

csrf = CSRFProtect()


def init_app(app: Flask, settings: Settings) -> None:
    from app.console import auth, retriage_page, service_views, views  # noqa: F401 (their routes)

    auth.configure(app, settings)
    # CSRF is checked by the console's own before_request (views.py), not app-wide: the webhook
    # and the admin API are POSTed by machines, with their own signatures and tokens.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config["WTF_CSRF_TIME_LIMIT"] = int(settings.console.session_hours * 3600)
    csrf.init_app(app)
    app.register_blueprint(views.bp)
