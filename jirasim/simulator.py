"""JiraSimulator: the site, its HTTP server and its webhook sender, with a Python API for tests.

    with JiraSimulator(webhook_url=url, secret="s") as sim:
        created = sim.create_request(summary="Jira is down", sen="SEN-10000001", severity="L1")
        sim.wait_for(lambda: sim.properties(created["issueKey"]).get("priority-support"))
"""
from __future__ import annotations

import copy
import threading
import time
from dataclasses import replace
from datetime import datetime
from typing import Any, Callable, Iterable

from werkzeug.serving import WSGIRequestHandler, make_server

from jirasim import catalogue as cat
from jirasim import events as ev
from jirasim.chaos import Chaos, ChaosSettings
from jirasim.faults import Fault, Faults
from jirasim.ratelimit import RateLimit
from jirasim.model import issue_json, jsm_comment_json, request_json
from jirasim.server import create_app
from jirasim.shapes import EMAIL_VISIBILITIES, Site, User, user_for_email
from jirasim.store import Call, Clock, Store
from jirasim.webhooks import Attempt, Delivery, WebhookSender

DEFAULT_CUSTOMER = "customer@example.com"
DEFAULT_AGENT = "agent@example.com"
POLL_INTERVAL = 0.05  # how soon stop() takes effect; socketserver's default 0.5 s slows test teardown


class _QuietHandler(WSGIRequestHandler):
    """The app logs each call itself; werkzeug's access log would say it twice. HTTP/1.1, so
    clients keep their connections open as they do with a real Jira site."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class JiraSimulator:
    def __init__(self, webhook_url: str | None = None, secret: str = "", flavor: str = "cloud", *,
                 host: str = "127.0.0.1", port: int = 0, events: Iterable[str] = ev.EVENTS,
                 webhook_attempts: int = 5, webhook_backoff: float = 0.2, webhook_timeout: float = 5.0):
        self.site = Site(flavor)
        self.clock = Clock()
        self.webhooks = WebhookSender(webhook_url, secret, attempts=webhook_attempts,
                                      backoff=webhook_backoff, timeout=webhook_timeout)
        self.webhooks_enabled = True
        self.events: set[str] = set()
        self.set_events(events)
        self.store = Store(self.site, self.clock, emit=self._emit)
        self.faults = Faults()
        self.chaos = Chaos()
        self.rate_limit = RateLimit()
        self.webhooks.resends = self.chaos.resend
        self.host, self.port = host, port
        self.app = create_app(self)
        self._server = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def _bind(self) -> None:
        self._server = make_server(self.host, self.port, self.app, threaded=True,
                                   request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.site.base_url = f"http://{self.host}:{self.port}"
        self.webhooks.start()

    def start(self) -> "JiraSimulator":
        """Serve in a background thread; returns self once the port is bound."""
        if self._server is None:
            self._bind()
            self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_INTERVAL,),
                                            name="jirasim-http", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve in this thread until stop() is called from another one."""
        self._bind()
        if on_ready is not None:
            on_ready(self.url)
        try:
            self._server.serve_forever(POLL_INTERVAL)
        finally:
            self.stop()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()  # returns once serve_forever has left its loop
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.webhooks.stop()

    def __enter__(self) -> "JiraSimulator":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return self.site.base_url

    @property
    def flavor(self) -> str:
        return self.site.flavor

    def reset(self) -> None:
        """Back to an empty site: no issues, calls, faults or deliveries; real time."""
        self.store.reset()
        self.faults.clear()
        self.chaos.configure(ChaosSettings())
        self.webhooks.clear()
        self.clock.reset()
        self.webhooks_enabled = True

    # -- webhooks ------------------------------------------------------------------------------

    def set_events(self, events: Iterable[str]) -> None:
        chosen = set(events)
        unknown = chosen - set(ev.EVENTS)
        if unknown:
            raise ValueError(f"unknown webhook events {sorted(unknown)}; known: {list(ev.EVENTS)}")
        self.events = chosen

    def set_webhook(self, url: str | None, secret: str | None = None) -> None:
        self.webhooks.configure(url, secret)

    def _emit(self, event: str, payload: dict, key: str) -> None:
        if self.webhooks_enabled and event in self.events:
            self.webhooks.submit(event, payload, key)

    @property
    def deliveries(self) -> list[Delivery]:
        return self.webhooks.deliveries

    @property
    def delivery_attempts(self) -> list[Attempt]:
        return self.webhooks.attempt_log

    def resend(self, delivery_id: str) -> Delivery:
        return self.webhooks.resend(delivery_id)

    def wait_for_webhooks(self, timeout: float = 10.0) -> None:
        if not self.webhooks.wait_idle(timeout):
            raise TimeoutError(f"webhooks still being delivered after {timeout}s")

    # -- looking -------------------------------------------------------------------------------

    def issue(self, key: str) -> dict:
        """The issue as GET /rest/api/2/issue/{key}?properties=*all shows it."""
        return copy.deepcopy(issue_json(self.site, self.store.issue(key), properties="*all"))

    def comments(self, key: str) -> list[dict]:
        """The comments in the service desk API's shape (body, public, author, created)."""
        found = self.store.issue(key)
        return [jsm_comment_json(self.site, found, c) for c in found.comments]

    def properties(self, key: str) -> dict:
        return copy.deepcopy(self.store.issue(key).properties)

    @property
    def calls(self) -> list[Call]:
        return self.store.calls.list()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
        """Poll `predicate` until it returns something truthy, and return that; TimeoutError if not."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(interval)

    # -- faults --------------------------------------------------------------------------------

    def add_fault(self, method: str, path_regex: str, status: int | None, retry_after: float | None = None,
                  delay: float = 0.0, times: int | None = 1) -> Fault:
        """Answer matching /rest calls with `status` (and Retry-After) and/or after `delay` s."""
        return self.faults.add(Fault(method, path_regex, status, retry_after, delay, times))

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_chaos(self, settings: ChaosSettings) -> None:
        """Random faults and webhook resends at fixed odds (jirasim/chaos.py); ChaosSettings() ends them."""
        self.chaos.configure(settings)

    # -- acting like people --------------------------------------------------------------------

    def add_user(self, email: str, *, email_visibility: str = "anyone", customer: bool = True) -> User:
        """A user whose email its profile may hide (shapes.EMAIL_VISIBILITIES): requests they raise
        carry no `emailAddress` unless it is "anyone"; a lookup shows it for "admins"."""
        if email_visibility not in EMAIL_VISIBILITIES:
            raise ValueError(f"email_visibility must be one of {EMAIL_VISIBILITIES}, got {email_visibility!r}")
        user = replace(user_for_email(email, customer=customer), email_visibility=email_visibility)
        return self.store.register_user(user)

    def create_request(self, request_field_values: dict | None = None, *, request_type: str = "1",
                       reporter: str = DEFAULT_CUSTOMER, raise_on_behalf_of: str | None = None,
                       created: datetime | None = None, fire_webhooks: bool = True, **fields: Any) -> dict:
        """Create a JSM request as POST /rest/servicedeskapi/request does, and return its answer.

        Give `request_field_values` as JSM takes them, or the keyword arguments of
        catalogue.sample_request_fields (summary, sen, severity "L1".., product, version, ...).
        The portal customer `reporter` (an email) raises it, unless an agent raises it on behalf
        of someone (`raise_on_behalf_of`: an email, accountId or DC user name).
        `created` backdates the request; `fire_webhooks=False` makes its webhook never come.
        """
        if request_field_values is None:
            fields.setdefault("summary", "Something is wrong")
            request_field_values = cat.sample_request_fields(**fields)
        elif fields:
            raise TypeError("give request_field_values or field keyword arguments, not both")
        kind = cat.find_request_type(request_type)
        if kind is None:
            raise ValueError(f"unknown request type {request_type!r}")
        body = {"serviceDeskId": cat.SERVICE_DESK_ID, "requestTypeId": kind.id,
                "requestFieldValues": request_field_values}
        if raise_on_behalf_of:
            body["raiseOnBehalfOf"] = raise_on_behalf_of
            caller = self.store.register_user(user_for_email(DEFAULT_AGENT))
        else:
            caller = self.store.register_user(user_for_email(reporter, customer=True))
        return self.create_request_body(body, created=created, fire_webhooks=fire_webhooks, caller=caller)

    def create_request_body(self, body: dict, *, created: datetime | None = None, fire_webhooks: bool = True,
                            caller: User | None = None, chaos_spared: bool = False) -> dict:
        """A JSM create from its raw body, by `caller` (default: a portal customer); `chaos_spared`:
        the calls about it meet no chaos fault (jirasim/chaos.py `spare`), from before its webhook."""
        if caller is None:
            caller = self.store.register_user(user_for_email(DEFAULT_CUSTOMER, customer=True))
        issue = self.store.create_request(body, caller, created=created, fire=fire_webhooks and not chaos_spared)
        if chaos_spared:
            self.chaos.spare(issue.key, issue.id)
            if fire_webhooks:
                self.store.fire_created(issue.key, caller)
        return request_json(self.site, issue)

    def create_issue(self, fields: dict, *, created: datetime | None = None, fire_webhooks: bool = True,
                     caller: str = DEFAULT_AGENT) -> dict:
        """POST /rest/api/2/issue; returns {"id", "key", "self"}."""
        user = self.store.register_user(user_for_email(caller))
        issue = self.store.create_issue(fields, user, created=created, fire=fire_webhooks)
        return {"id": issue.id, "key": issue.key, "self": self.site.link(f"/rest/api/2/issue/{issue.id}")}

    def add_comment(self, key: str, body: str, public: bool = True, author: str = DEFAULT_AGENT) -> dict:
        """A comment by `author` (an email: the reporter's for a customer reply, else an agent)."""
        user = self.store.find_user(author) or self.store.register_user(user_for_email(author))
        comment = self.store.add_comment(key, body, public, user)
        return jsm_comment_json(self.site, self.store.issue(key), comment)

    def set_status(self, key: str, status: str) -> None:
        self.store.set_status(key, status)

    def set_sla(self, key: str, values: list[dict]) -> None:
        """What GET /rest/servicedeskapi/request/{key}/sla returns under "values"."""
        self.store.set_sla(key, values)

    def set_field_on_screen(self, field_id: str, on_screen: bool) -> None:
        """Take a field off the edit screen (edits naming it get Jira's 400) or put it back."""
        if field_id not in cat.FIELDS_BY_ID:
            raise ValueError(f"the site has no field {field_id!r}")
        if on_screen:
            self.store.hidden_fields.discard(field_id)
        else:
            self.store.hidden_fields.add(field_id)
