"""The HTTP app: the slice of Jira's REST API and the JSM service desk API the worker uses.

Every /rest call is authenticated (Cloud: any Basic credentials; Data Center: any Bearer
token), may be hit by a fault, and is logged (method, path, query, JSON body, status). The
control API under /_sim/ (jirasim/control.py) is neither authenticated nor logged.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from jirasim import catalogue as cat
from jirasim.control import register as register_control
from jirasim.edits import FieldErrors
from jirasim.jql import JqlError
from jirasim.model import comment_json, issue_json, jsm_comment_json, request_json
from jirasim.shapes import AUTOMATION_USER, User, adf_text, jira_time, user_for_email
from jirasim.store import Call, IssueNotFound, RequestRejected

if TYPE_CHECKING:
    from jirasim.simulator import JiraSimulator

log = logging.getLogger("jirasim")

SERVICE_DESK = "/rest/servicedeskapi/"
ANONYMOUS = ("/rest/api/2/serverInfo", "/rest/api/3/serverInfo")


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def jira_error(status: int, messages: list[str], errors: dict | None = None) -> tuple[Response, int]:
    return jsonify({"errorMessages": messages, "errors": errors or {}}), status


def jsm_error(status: int, message: str, key: str) -> tuple[Response, int]:
    return jsonify({"errorMessage": message, "i18nErrorMessage": {"i18nKey": key, "parameters": []}}), status


def _error(status: int, message: str) -> tuple[Response, int]:
    if request.path.startswith(SERVICE_DESK):
        return jsm_error(status, message, f"sd.error.{status}")
    return jira_error(status, [message])


def json_body() -> Any:
    """The request's JSON body; ApiError 400 when there is none or it does not parse."""
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None


def _int_arg(name: str, default: int, lowest: int = 0) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"'{name}' must be a whole number, got '{raw}'.") from None
    return max(lowest, value)


def _list_arg(name: str) -> str | None:
    values = request.args.getlist(name)
    return ",".join(values) if values else None


def _flag_arg(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    return default if raw is None else raw.strip().lower() == "true"


def create_app(sim: "JiraSimulator") -> Flask:
    app = Flask("jirasim")
    app.json.sort_keys = False
    app.json.compact = True
    store, site = sim.store, sim.site

    def version(v: int) -> int:
        if v not in (2, 3) or (v == 3 and not site.is_cloud):
            raise ApiError(404, f"/rest/api/{v} does not exist on this {site.flavor} site.")
        return v

    def caller() -> User | None:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if site.is_cloud and scheme.lower() == "basic":
            try:
                email = base64.b64decode(credentials, validate=True).decode().split(":", 1)[0]
            except (binascii.Error, UnicodeDecodeError):
                return None
            if not email:
                return None
            return store.find_user(email) or store.register_user(user_for_email(email))
        if not site.is_cloud and scheme.lower() == "bearer" and credentials.strip():
            return AUTOMATION_USER  # a personal access token acts as its one service account
        return None

    @app.before_request
    def gate():
        if not request.path.startswith("/rest/"):
            return None
        g.user = caller()
        if g.user is None and request.path not in ANONYMOUS:
            wanted = "Basic auth (email and API token)" if site.is_cloud else "a Bearer personal access token"
            return _error(401, f"Authentication required: this {site.flavor} site takes {wanted}.")
        wait = sim.rate_limit.take()
        if wait is not None:
            return (jsonify({"errorMessages": ["Rate limit exceeded."], "errors": {}}), 429,
                    {"Retry-After": str(int(wait))})
        fault = sim.faults.take(request.method, request.path) or sim.chaos.take(request.path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                return jsonify(fault.body()), fault.status, fault.headers()
        return None

    @app.after_request
    def record(response: Response) -> Response:
        if request.path.startswith("/rest/"):
            raw = request.get_data(cache=True)
            try:
                body = json.loads(raw) if raw else None
            except (ValueError, UnicodeDecodeError):
                body = raw.decode(errors="replace")
            store.calls.add(Call(request.method, request.path, request.args.to_dict(), body,
                                 response.status_code, time.time()))
            log.info("%s %s -> %s", request.method, request.full_path.rstrip("?"), response.status_code)
        return response

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return _error(exc.status, str(exc))

    @app.errorhandler(IssueNotFound)
    def not_found(exc: IssueNotFound):
        return _error(404, "Issue does not exist or you do not have permission to see it.")

    @app.errorhandler(FieldErrors)
    def field_errors(exc: FieldErrors):
        if request.path.startswith(SERVICE_DESK):
            return jsm_error(400, str(exc), "sd.request.invalid")
        return jira_error(400, exc.messages, exc.errors)

    @app.errorhandler(JqlError)
    def bad_jql(exc: JqlError):
        return jira_error(400, [str(exc)])

    @app.errorhandler(RequestRejected)
    def rejected(exc: RequestRejected):
        return jsm_error(exc.status, str(exc), exc.i18n_key)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _error(exc.code or 500, exc.description or exc.name)

    # -- site --------------------------------------------------------------------------------

    @app.get("/rest/api/<int:v>/serverInfo")
    def server_info(v: int):
        version(v)
        now = store.clock.now()
        if site.is_cloud:
            numbers, deployment, build = [1001, 0, 0], "Cloud", 100265
        else:
            numbers, deployment, build = [9, 12, 15], "Server", 9120015
        return jsonify({"baseUrl": site.base_url, "version": ".".join(map(str, numbers)),
                        "versionNumbers": numbers, "deploymentType": deployment, "buildNumber": build,
                        "buildDate": "2026-01-15T00:00:00.000+0000", "serverTime": jira_time(now),
                        "scmInfo": "jirasim", "serverTitle": "Jira (simulator)"})

    @app.get("/rest/api/<int:v>/myself")
    def myself(v: int):
        version(v)
        return jsonify(site.user(g.user))

    @app.get("/rest/api/<int:v>/user")
    def user(v: int):
        # Cloud looks users up by accountId, Data Center by username (or key).
        version(v)
        wanted = request.args.get("accountId") if site.is_cloud else (
            request.args.get("username") or request.args.get("key"))
        if not wanted:
            raise ApiError(400, "accountId is required." if site.is_cloud else "username or key is required.")
        found = store.find_user(wanted)
        if found is None:
            raise ApiError(404, f"The user {wanted!r} does not exist.")
        return jsonify(site.user(found, lookup=True))

    @app.get("/rest/api/<int:v>/field")
    def fields(v: int):
        version(v)
        return jsonify([site.field(f) for f in cat.FIELDS])

    # -- issues ------------------------------------------------------------------------------

    @app.post("/rest/api/<int:v>/issue")
    def create_issue(v: int):
        body = json_body()
        issue = store.create_issue(body.get("fields") if isinstance(body, dict) else None, g.user,
                                   api_version=version(v))
        return jsonify({"id": issue.id, "key": issue.key,
                        "self": site.link(f"/rest/api/{v}/issue/{issue.id}")}), 201

    @app.get("/rest/api/<int:v>/issue/<ref>")
    def get_issue(v: int, ref: str):
        version(v)
        return jsonify(issue_json(site, store.issue(ref), v, fields=_list_arg("fields"),
                                  properties=_list_arg("properties"), expand=request.args.get("expand")))

    @app.put("/rest/api/<int:v>/issue/<ref>")
    def edit_issue(v: int, ref: str):
        store.edit(ref, json_body(), g.user, version(v))
        return "", 204

    @app.get("/rest/api/<int:v>/issue/<ref>/comment")
    def list_comments(v: int, ref: str):
        version(v)
        issue = store.issue(ref)
        start, limit = _int_arg("startAt", 0), _int_arg("maxResults", 100, lowest=1)
        shown = [comment_json(site, issue, c, v) for c in issue.comments[start:start + limit]]
        return jsonify({"startAt": start, "maxResults": limit, "total": len(issue.comments),
                        "comments": shown})

    @app.post("/rest/api/<int:v>/issue/<ref>/comment")
    def post_comment(v: int, ref: str):
        body = json_body()
        if not isinstance(body, dict):
            raise ApiError(400, "The comment must be a JSON object with a 'body'.")
        text = body.get("body")
        if version(v) == 3 and isinstance(text, dict):
            try:
                text = adf_text(text)
            except ValueError as exc:
                raise ApiError(400, f"Comment body is not a valid ADF document: {exc}") from None
        internal = any(p.get("key") == "sd.public.comment" and (p.get("value") or {}).get("internal") is True
                       for p in (body.get("properties") or []) if isinstance(p, dict))
        comment = store.add_comment(ref, text, public=not internal, author=g.user)
        return jsonify(comment_json(site, store.issue(ref), comment, v)), 201

    @app.get("/rest/api/<int:v>/issue/<ref>/properties")
    def property_keys(v: int, ref: str):
        version(v)
        issue = store.issue(ref)
        return jsonify({"keys": [{"self": site.link(f"/rest/api/{v}/issue/{issue.id}/properties/{k}"), "key": k}
                                 for k in issue.properties]})

    @app.get("/rest/api/<int:v>/issue/<ref>/properties/<name>")
    def get_property(v: int, ref: str, name: str):
        version(v)
        issue = store.issue(ref)
        if name not in issue.properties:
            raise ApiError(404, f"The property with key '{name}' does not exist.")
        return jsonify({"key": name, "value": issue.properties[name]})

    @app.put("/rest/api/<int:v>/issue/<ref>/properties/<name>")
    def put_property(v: int, ref: str, name: str):
        version(v)
        value = json_body()
        created = store.set_property(ref, name, value, size=len(request.get_data(cache=True)))
        return "", 201 if created else 200

    @app.delete("/rest/api/<int:v>/issue/<ref>/properties/<name>")
    def delete_property(v: int, ref: str, name: str):
        version(v)
        if not store.delete_property(ref, name):
            raise ApiError(404, f"The property with key '{name}' does not exist.")
        return "", 204

    @app.get("/rest/api/<int:v>/issue/<ref>/transitions")
    def transitions(v: int, ref: str):
        version(v)
        current = store.issue(ref).status
        return jsonify({"expand": "transitions", "transitions": [
            {"id": tid, "name": name, "to": site.status(status), "hasScreen": False}
            for tid, name, status in cat.TRANSITIONS if status != current]})

    @app.post("/rest/api/<int:v>/issue/<ref>/transitions")
    def transition(v: int, ref: str):
        version(v)
        body = json_body()
        wanted = ((body.get("transition") or {}).get("id") if isinstance(body, dict) else None)
        target = next((status for tid, _, status in cat.TRANSITIONS if tid == str(wanted)), None)
        if target is None or target == store.issue(ref).status:
            return jira_error(400, [f"Transition id '{wanted}' is not valid for this issue."])
        store.set_status(ref, target.id, g.user)
        return "", 204

    # -- search ------------------------------------------------------------------------------

    def search_params() -> dict:
        if request.method == "POST":
            body = json_body()
            if not isinstance(body, dict):
                raise ApiError(400, "The search body must be a JSON object.")
            return body
        params: dict[str, Any] = {k: request.args.get(k) for k in ("jql", "startAt", "maxResults",
                                                                   "nextPageToken", "expand")}
        params["fields"] = _list_arg("fields")
        params["properties"] = _list_arg("properties")
        return params

    def page_size(raw: Any, default: int) -> int:
        try:
            return max(1, min(int(raw if raw is not None else default), 100 if site.is_cloud else 1000))
        except (TypeError, ValueError):
            raise ApiError(400, f"maxResults must be a whole number, got {raw!r}.") from None

    @app.route("/rest/api/<int:v>/search", methods=["GET", "POST"])
    def search(v: int):
        version(v)
        params = search_params()
        try:
            start = max(0, int(params.get("startAt") or 0))
        except (TypeError, ValueError):
            raise ApiError(400, "startAt must be a whole number.") from None
        size = page_size(params.get("maxResults"), 50)
        found, total = store.search(params.get("jql") or "", start, size)
        shown = [issue_json(site, i, v, fields=params.get("fields"), properties=params.get("properties"),
                            expand=params.get("expand")) for i in found]
        return jsonify({"expand": "schema,names", "startAt": start, "maxResults": size,
                        "total": total, "issues": shown})

    @app.route("/rest/api/<int:v>/search/jql", methods=["GET", "POST"])
    def search_jql(v: int):
        version(v)
        if not site.is_cloud:
            raise ApiError(404, "/search/jql exists on Jira Cloud only; Data Center has /rest/api/2/search.")
        params = search_params()
        start = _read_token(params.get("nextPageToken"))
        size = page_size(params.get("maxResults"), 50)
        found, total = store.search(params.get("jql") or "", start, size, require_bound=True)
        shown = []
        for issue in found:
            rendered = issue_json(site, issue, v, fields=params.get("fields"),
                                  properties=params.get("properties"), expand=params.get("expand"),
                                  default_fields=())
            if "fields" not in rendered:  # Cloud's default is the id alone
                rendered = {k: rendered[k] for k in ("id", "properties") if k in rendered}
            shown.append(rendered)
        body: dict[str, Any] = {"issues": shown}
        if start + size < total:
            body["nextPageToken"] = base64.urlsafe_b64encode(f"offset:{start + size}".encode()).decode()
        body["isLast"] = "nextPageToken" not in body
        return jsonify(body)

    # -- service desk ------------------------------------------------------------------------

    def jsm_page(values: list, start: int, limit: int) -> dict:
        shown = values[start:start + limit]
        return {"size": len(shown), "start": start, "limit": limit,
                "isLastPage": start + limit >= len(values), "values": shown,
                "_links": {"base": site.base_url, "context": "", "self": site.link(request.path)}}

    @app.get("/rest/servicedeskapi/servicedesk")
    def service_desks():
        desk = {"id": cat.SERVICE_DESK_ID, "projectId": cat.PROJECT_ID, "projectName": cat.PROJECT_NAME,
                "projectKey": cat.PROJECT_KEY,
                "_links": {"self": site.link(f"/rest/servicedeskapi/servicedesk/{cat.SERVICE_DESK_ID}")}}
        return jsonify(jsm_page([desk], 0, 50))

    @app.get("/rest/servicedeskapi/servicedesk/<desk>/requesttype")
    def request_types(desk: str):
        if desk != cat.SERVICE_DESK_ID:
            raise ApiError(404, f"Service desk '{desk}' does not exist.")
        values = [site.request_type(rt) for rt in cat.REQUEST_TYPES]
        return jsonify(jsm_page(values, _int_arg("start", 0), _int_arg("limit", 50, lowest=1)))

    @app.post("/rest/servicedeskapi/request")
    def create_request():
        issue = store.create_request(json_body(), g.user)
        return jsonify(request_json(site, issue)), 201

    @app.get("/rest/servicedeskapi/request/<ref>")
    def get_request(ref: str):
        return jsonify(request_json(site, store.issue(ref)))

    @app.get("/rest/servicedeskapi/request/<ref>/comment")
    def request_comments(ref: str):
        issue = store.issue(ref)
        public, internal = _flag_arg("public", True), _flag_arg("internal", True)
        chosen = [jsm_comment_json(site, issue, c) for c in issue.comments
                  if (c.public and public) or (not c.public and internal)]
        return jsonify(jsm_page(chosen, _int_arg("start", 0), _int_arg("limit", 50, lowest=1)))

    @app.post("/rest/servicedeskapi/request/<ref>/comment")
    def post_request_comment(ref: str):
        body = json_body()
        if not isinstance(body, dict) or not isinstance(body.get("public", True), bool):
            raise ApiError(400, "The comment needs a 'body' string and a boolean 'public'.")
        comment = store.add_comment(ref, body.get("body"), public=body.get("public", True), author=g.user)
        return jsonify(jsm_comment_json(site, store.issue(ref), comment)), 201

    @app.get("/rest/servicedeskapi/request/<ref>/sla")
    def request_sla(ref: str):
        issue = store.issue(ref)
        return jsonify(jsm_page(issue.sla, _int_arg("start", 0), _int_arg("limit", 50, lowest=1)))

    register_control(app, sim)
    return app


def _read_token(token: Any) -> int:
    if not token:
        return 0
    try:
        kind, _, offset = base64.urlsafe_b64decode(str(token).encode()).decode().partition(":")
        if kind == "offset" and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(400, "The nextPageToken is not valid.")
