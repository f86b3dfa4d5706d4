"""The web process: webhook intake, admin API, health and metrics."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from celery import Celery
from flask import Flask, jsonify

from worker.reminders.events import ChangeRules
from worker.runtime import Services, build_services
from worker.settings import Settings

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The service must not start as configured; the message says what to set."""


# A secret anyone can guess signs anyone's webhooks; `psw run` generates 64 hex characters.
MIN_SECRET_CHARS = 16


@dataclass(kw_only=True)
class WebServices(Services):
    """What request handlers reach through `current_app.extensions["psw"]`: the process's services
    (a re-triage asked for here reads the issue through its Jira gateway and entitlement source,
    the one thing the web process asks Jira) and the Celery app whose messages it queues."""

    celery: Celery
    _rules: tuple[str, ChangeRules] | None = None

    # The web answers Jira while Redis answers it: it gives up sooner (a 503 Jira retries).
    redis_timeouts = (1, 2)

    def change_rules(self) -> ChangeRules:
        """The reminders' rules for change events, for the running config (rebuilt when it changes)."""
        config = self.live_config.current()
        if self._rules is None or self._rules[0] != config.version:
            self._rules = (config.version, ChangeRules.from_config(config, self.settings.reminders.responded_statuses))
        return self._rules[1]


def create_app(settings: Settings | None = None, celery_app: Celery | None = None) -> Flask:
    settings = settings or Settings.from_env()
    if not settings.webhook_secret:
        if not settings.allow_unsigned_webhooks:
            raise StartupError(
                "WEBHOOK_SECRET is not set: set it (and the same secret on the Jira webhook), "
                "or set ALLOW_UNSIGNED_WEBHOOKS=1 to accept unsigned webhooks"
            )
        log.warning("ALLOW_UNSIGNED_WEBHOOKS=1: webhooks are accepted without a signature")
    elif len(settings.webhook_secret.strip()) < MIN_SECRET_CHARS:
        raise StartupError(
            f"WEBHOOK_SECRET is too short ({len(settings.webhook_secret.strip())} characters without "
            f"surrounding spaces): use at least {MIN_SECRET_CHARS}, e.g. $(openssl rand -hex 32)"
        )

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.webhook_max_bytes
    if celery_app is None:
        from worker.celery_app import make_celery

        celery_app = make_celery(settings)
    app.extensions["psw"] = build_services(settings, WebServices, celery=celery_app)

    from app import admin, console, ops, webhooks

    app.register_blueprint(webhooks.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(ops.bp)
    console.init_app(app, settings)

    @app.errorhandler(413)
    def too_large(_exc):
        limit = settings.webhook_max_bytes
        return jsonify(status="too_large", message=f"body over the {limit}-byte limit"), 413

    return app
