"""/_sim/: the same control the Python API gives, for a simulator running as its own process
(integration tests, benchmarks). Not part of Jira; not authenticated; not in the call log."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, jsonify, request

from jirasim.chaos import ChaosSettings
from jirasim.model import issue_json, jsm_comment_json
from jirasim.shapes import parse_jira_time, user_for_email

if TYPE_CHECKING:
    from jirasim.simulator import JiraSimulator


class ControlError(ValueError):
    """A /_sim/ request that cannot be carried out; answered 400 with {"error": message}."""


def _body() -> dict:
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise ControlError("the body is not valid JSON")
    if body is not None and not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body or {}


def parse_instant(raw: Any, what: str) -> datetime | None:
    """A timezone-aware instant from Jira's format or ISO 8601; None for null."""
    if raw is None:
        return None
    if isinstance(raw, str):
        for parse in (parse_jira_time, datetime.fromisoformat):
            try:
                moment = parse(raw)
            except ValueError:
                continue
            if moment.tzinfo is not None:
                return moment
    raise ControlError(f"{what} must be a timezone-aware time (ISO 8601 or Jira's format), got {raw!r}")


def register(app: Flask, sim: "JiraSimulator") -> None:
    app.register_blueprint(_blueprint(sim))


def _blueprint(sim: "JiraSimulator") -> Blueprint:
    app = Blueprint("sim", __name__, url_prefix="/_sim")
    store = sim.store

    @app.errorhandler(ControlError)
    def control_error(exc: ControlError):
        return jsonify({"error": str(exc)}), 400

    @app.get("/calls")
    def calls():
        return jsonify({"calls": [c._asdict() for c in sim.calls]})

    @app.delete("/calls")
    def clear_calls():
        store.calls.clear()
        return "", 204

    @app.get("/faults")
    def faults():
        return jsonify({"faults": [f.describe() for f in sim.faults.list()]})

    @app.post("/faults")
    def add_fault():
        body = _body()
        try:
            fault = sim.add_fault(body.get("method", "*"), body["path_regex"], body.get("status"),
                                  retry_after=body.get("retry_after"), delay=float(body.get("delay", 0.0)),
                                  times=body.get("times", 1))
        except KeyError:
            raise ControlError("a fault needs 'path_regex'") from None
        except (TypeError, ValueError) as exc:
            raise ControlError(str(exc)) from None
        return jsonify(fault.describe()), 201

    @app.delete("/faults")
    def clear_faults():
        sim.faults.clear()
        return "", 204

    @app.get("/chaos")
    def chaos():
        return jsonify(sim.chaos.describe())

    @app.post("/chaos")
    def set_chaos():
        try:
            sim.set_chaos(ChaosSettings.from_json(_body()))
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return jsonify(sim.chaos.describe())

    @app.delete("/chaos")
    def clear_chaos():
        sim.set_chaos(ChaosSettings())
        return "", 204

    @app.get("/rate-limit")
    def rate_limit():
        return jsonify(sim.rate_limit.describe())

    @app.post("/rate-limit")
    def set_rate_limit():
        body = _body()
        try:
            sim.rate_limit.configure(float(body.get("per_second", 0)), int(body.get("burst", 0)))
        except (TypeError, ValueError) as exc:
            raise ControlError(f"rate limit: {exc}") from None
        return jsonify(sim.rate_limit.describe())

    @app.post("/reset")
    def reset():
        sim.reset()
        return "", 204

    @app.get("/issues")
    def issue_keys():
        return jsonify({"keys": store.keys()})

    @app.get("/issues/<key>")
    def issue(key: str):
        found = store.issue(key)
        body = issue_json(sim.site, found, properties="*all")
        body["comments"] = [jsm_comment_json(sim.site, found, c) for c in found.comments]
        body["sla"] = found.sla
        return jsonify(body)

    @app.post("/issues/<key>/comments")
    def comment(key: str):
        body = _body()
        author = body.get("author") or "agent@example.com"
        public = body.get("public", True)
        if not isinstance(public, bool) or not isinstance(author, str):
            raise ControlError("'public' must be a boolean and 'author' an email")
        found = sim.add_comment(key, body.get("body"), public=public, author=author)
        return jsonify(found), 201

    @app.post("/issues/<key>/edit")
    def edit(key: str):
        """An agent's edit, as PUT /rest/api/2/issue/{key} takes it ({"fields"} and/or
        {"update"}), by "author" (an email); not subject to faults, unlike the REST call."""
        body = _body()
        author = body.pop("author", None) or "agent@example.com"
        if not isinstance(author, str):
            raise ControlError("'author' must be an email")
        user = store.find_user(author) or store.register_user(user_for_email(author))
        changes = store.edit(key, body, user)
        return jsonify({"changed": [c.field.id for c in changes]})

    @app.post("/issues/<key>/status")
    def status(key: str):
        try:
            sim.set_status(key, str(_body().get("status", "")))
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return "", 204

    @app.put("/issues/<key>/sla")
    def sla(key: str):
        try:
            sim.set_sla(key, _body().get("values"))
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return "", 204

    @app.post("/requests")
    def create_request():
        """A JSM create with test-only extras: "created", "fire_webhooks", "caller" (an email),
        "chaos_spared" (the /rest calls about it meet no chaos fault)."""
        body = _body()
        created = parse_instant(body.pop("created", None), "created")
        fire = body.pop("fire_webhooks", True)
        spared = body.pop("chaos_spared", False)
        caller = body.pop("caller", None)
        for name, value in (("fire_webhooks", fire), ("chaos_spared", spared)):
            if not isinstance(value, bool):
                raise ControlError(f"'{name}' must be a boolean")
        user = store.register_user(user_for_email(caller, customer=True)) if isinstance(caller, str) else None
        return jsonify(sim.create_request_body(body, created=created, fire_webhooks=fire, caller=user,
                                               chaos_spared=spared)), 201

    @app.post("/users")
    def add_user():
        body = _body()
        if not isinstance(body.get("email"), str) or "@" not in body["email"]:
            raise ControlError("a user needs an 'email'")
        try:
            user = sim.add_user(body["email"], email_visibility=body.get("email_visibility", "anyone"),
                                customer=bool(body.get("customer", True)))
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return jsonify(sim.site.user(user, lookup=True)), 201

    @app.route("/fields/<field_id>", methods=["POST", "PUT"])
    def field_screen(field_id: str):
        on_screen = _body().get("on_screen")
        if not isinstance(on_screen, bool):
            raise ControlError("send {\"on_screen\": true|false}")
        try:
            sim.set_field_on_screen(field_id, on_screen)
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return "", 204

    @app.get("/clock")
    def clock():
        return jsonify({"now": sim.clock.now().isoformat()})

    @app.post("/clock")
    def move_clock():
        body = _body()
        if "now" in body:
            sim.clock.pin(parse_instant(body["now"], "now"))
        if "advance_seconds" in body:
            try:
                sim.clock.advance(float(body["advance_seconds"]))
            except (TypeError, ValueError):
                raise ControlError("'advance_seconds' must be a number") from None
        return jsonify({"now": sim.clock.now().isoformat()})

    @app.get("/webhook")
    def webhook():
        return jsonify({"url": sim.webhooks.url, "signed": sim.webhooks.signed,
                        "enabled": sim.webhooks_enabled, "events": sorted(sim.events)})

    @app.post("/webhook")
    def configure_webhook():
        body = _body()
        if "url" in body or "secret" in body:
            sim.set_webhook(body.get("url", sim.webhooks.url), body.get("secret"))
        if "enabled" in body:
            sim.webhooks_enabled = bool(body["enabled"])
        if "events" in body:
            try:
                sim.set_events(body["events"])
            except ValueError as exc:
                raise ControlError(str(exc)) from None
        return webhook()

    @app.get("/deliveries")
    def deliveries():
        # ?bodies=false leaves the bodies out (a chaos run lists thousands).
        bodies = request.args.get("bodies", "true").strip().lower() != "false"
        attempts = [a.__dict__ for a in sim.delivery_attempts]
        return jsonify({"deliveries": [{"id": d.id, "event": d.event, "issue_key": d.issue_key,
                                        "copy_of": d.copy_of, **({"body": d.json()} if bodies else {})}
                                       for d in sim.deliveries],
                        "attempts": attempts})

    @app.post("/deliveries/<delivery_id>/resend")
    def resend(delivery_id: str):
        try:
            sim.resend(delivery_id)
        except KeyError as exc:
            return jsonify({"error": str(exc.args[0])}), 404
        return "", 202

    @app.post("/deliveries/wait")
    def wait():
        try:
            timeout = float(_body().get("timeout", 10.0))
        except (TypeError, ValueError):
            raise ControlError("'timeout' must be a number of seconds") from None
        idle = sim.webhooks.wait_idle(min(timeout, 60.0))
        return jsonify({"idle": idle}), 200 if idle else 504

    return app
