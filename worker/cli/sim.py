"""`psw sim`: run the bundled Jira simulator, raise a sample JSM request in it, and look at the result.

The README walk-through: `make run`, then `psw sim request`, then `psw sim show PS-1` to see
the labels, priority, Priority Support fields, the priority-support property and the comment.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
import requests

from jirasim import catalogue as cat
from worker import clock
from worker.cli.where import simulator_url

DEFAULT_SIM_URL = "http://127.0.0.1:8081"
# The simulator takes any credentials; these say who is acting in its call log.
CLOUD_AUTH = ("psw-demo@example.com", "simulator")
DC_TOKEN = "simulator"
PS_FIELDS = ((cat.PS_LEVEL_FIELD, "level"), (cat.PS_DUE_FIELD, "due"),
             (cat.PS_ENTITLEMENT_FIELD, "entitlement"))


class Simulator:
    """A running simulator reached over HTTP, authenticating the way its flavor expects."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        info = self._send("GET", "/rest/api/2/serverInfo")
        self.cloud = info.get("deploymentType") == "Cloud"
        if self.cloud:
            self.session.auth = CLOUD_AUTH
        else:
            self.session.headers["Authorization"] = f"Bearer {DC_TOKEN}"

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(method, self.url + path, timeout=self.timeout, **kwargs)
        except requests.ConnectionError:
            raise click.ClickException(
                f"no Jira simulator answers at {self.url}: start one with `make run` or `psw sim serve`"
            ) from None
        except requests.RequestException as exc:
            raise click.ClickException(f"{method} {self.url}{path} failed: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise click.ClickException(f"{method} {path} -> {response.status_code}: {_error_text(response)}")
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self._send("GET", path, params=params)

    def post(self, path: str, body: Any) -> Any:
        return self._send("POST", path, json=body)


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        parts = list(body.get("errorMessages") or [])
        parts += [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
        if body.get("errorMessage"):
            parts.append(body["errorMessage"])
        if parts:
            return "; ".join(parts)
    return json.dumps(body)[:200]


@click.group("sim")
def command() -> None:
    """The bundled Jira simulator: serve it, raise a sample request, show an issue."""


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=click.IntRange(0, 65535))
@click.option("--webhook-url", help="Where to send Jira's webhooks, e.g. http://127.0.0.1:8000/webhooks/jira.")
@click.option("--secret-file", type=click.Path(dir_okay=False),
              help="Sign webhooks with the secret in this file (X-Hub-Signature).")
@click.option("--flavor", type=click.Choice(["cloud", "datacenter"]), default="cloud", show_default=True)
def serve(host: str, port: int, webhook_url: str | None, secret_file: str | None, flavor: str) -> None:
    """Run the simulator in the foreground until Ctrl-C."""
    import logging

    from jirasim.__main__ import read_secret
    from jirasim.__main__ import serve as run_simulator

    logging.basicConfig(level=logging.INFO, format="%(asctime)s jirasim %(levelname)s %(message)s")
    try:
        secret = read_secret(None, secret_file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    run_simulator(host, port, webhook_url, secret, flavor)


def _request_type(value: str) -> cat.RequestType:
    found = cat.find_request_type(value)
    if found is None:
        names = ", ".join(f"{rt.id} ({rt.name})" for rt in cat.REQUEST_TYPES)
        raise click.BadParameter(f"unknown request type {value!r}; the simulator has {names}")
    return found


@command.command("request")
@click.option("--sim-url", default=lambda: simulator_url(DEFAULT_SIM_URL), envvar="JIRA_SIM_URL",
              show_default=f"the running psw run's simulator, else {DEFAULT_SIM_URL}")
@click.option("--sen", default="SEN-10000001", show_default=True, help="Support Entitlement Number ('' for none).")
@click.option("--severity", default="L2", show_default=True, type=click.Choice(["L1", "L2", "L3", "L4"],
                                                                              case_sensitive=False))
@click.option("--product", default="Jira Software", show_default=True,
              type=click.Choice(cat.PRODUCT_OPTIONS, case_sensitive=False))
@click.option("--version", "version", default="10.3.4", show_default=True, help="Product version.")
@click.option("--environment", default="Production", show_default=True,
              type=click.Choice(cat.ENVIRONMENT_OPTIONS, case_sensitive=False))
@click.option("--summary", default="Issue search is very slow for all users", show_default=True)
@click.option("--request-type", default="Technical support", show_default=True, help="Name or id.")
@click.option("--reporter", default="ops-admin@globex.example", show_default=True,
              help="The customer raising it (an email; the default is an admin of SEN-10000001).")
@click.option("--created", "created_at", metavar="ISO", callback=lambda _ctx, _param, value: _past(value),
              help="Backdate the request to this instant in the past (ISO 8601 with a zone, e.g. "
                   "2026-12-07T08:00:00-08:00), so its reminders and handoffs since then come due at once.")
def request(sim_url: str, sen: str, severity: str, product: str, version: str, environment: str,
            summary: str, request_type: str, reporter: str, created_at: datetime | None) -> None:
    """Raise a JSM request in a running simulator, as a customer on the portal would."""
    kind = _request_type(request_type)
    sim = Simulator(sim_url)
    values = cat.sample_request_fields(summary=summary, sen=sen or None, severity=severity.upper(),
                                       product=_choice(product, cat.PRODUCT_OPTIONS), version=version or None,
                                       environment=_choice(environment, cat.ENVIRONMENT_OPTIONS))
    body = {"serviceDeskId": cat.SERVICE_DESK_ID, "requestTypeId": kind.id, "requestFieldValues": values}
    if created_at is None:
        created = sim.post("/rest/servicedeskapi/request", {**body, "raiseOnBehalfOf": reporter})
    else:
        # Jira's API cannot backdate a request; the simulator's control endpoint can.
        created = sim.post("/_sim/requests", {**body, "caller": reporter, "created": created_at.isoformat()})
    key = created["issueKey"]
    auth = f"-u {CLOUD_AUTH[0]}:{CLOUD_AUTH[1]}" if sim.cloud else f"-H 'Authorization: Bearer {DC_TOKEN}'"
    click.echo(f"Created {key} ({kind.name}; {sen or 'no SEN'}, {severity.upper()}, {product} {version}, "
               f"{environment}) reported by {reporter}.")
    hook = sim.get("/_sim/webhook")
    if hook.get("url") and hook.get("enabled"):
        click.echo(f"The simulator sent jira:issue_created to {hook['url']}. Look at the result with:")
    else:
        click.echo("The simulator has no webhook URL, so no worker will triage it. Look at it with:")
    click.echo(f"  psw sim show {key} --sim-url {sim.url}")
    click.echo(f"  curl -s {auth} '{sim.url}/rest/api/2/issue/{key}?properties={cat.PROPERTY_KEY}'")


def _past(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 instant such as 2026-12-07T08:00:00-08:00") from None
    if instant.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone: add one, e.g. Z or -08:00")
    if instant > clock.now():
        raise click.BadParameter(f"{value} is in the future: a request can only be backdated")
    return instant


def _choice(value: str, options: tuple[str, ...]) -> str:
    return next(o for o in options if o.casefold() == value.casefold())


@command.command("show")
@click.argument("key")
@click.option("--sim-url", default=lambda: simulator_url(DEFAULT_SIM_URL), envvar="JIRA_SIM_URL",
              show_default=f"the running psw run's simulator, else {DEFAULT_SIM_URL}")
@click.option("--json", "as_json", is_flag=True, help="Print the raw issue JSON instead.")
def show(key: str, sim_url: str, as_json: bool) -> None:
    """Print an issue's labels, priority, Priority Support fields, property and comments."""
    sim = Simulator(sim_url)
    wanted = ["summary", "status", "labels", "priority", "created", "assignee", cat.PS_TEAM_FIELD,
              *(f for f, _ in PS_FIELDS)]
    issue = sim.get(f"/rest/api/2/issue/{key}", fields=",".join(wanted), properties=cat.PROPERTY_KEY)
    comments = sim.get(f"/rest/servicedeskapi/request/{key}/comment", public="true", internal="true")
    if as_json:
        click.echo(json.dumps({"issue": issue, "comments": comments["values"]}, indent=2))
        return
    fields = issue["fields"]
    click.echo(f"{issue['key']}: {fields.get('summary')}")
    click.echo(f"  status:    {(fields.get('status') or {}).get('name')}")
    click.echo(f"  created:   {fields.get('created')}")
    click.echo(f"  priority:  {(fields.get('priority') or {}).get('name')}")
    click.echo(f"  labels:    {', '.join(fields.get('labels') or []) or '(none)'}")
    team, assignee = fields.get(cat.PS_TEAM_FIELD), fields.get("assignee")
    click.echo(f"  team:      {team['value'] if team else '(unset)'}")
    click.echo(f"  assignee:  {assignee['displayName'] if assignee else '(unassigned)'}")
    for field_id, label in PS_FIELDS:
        click.echo(f"  PS {label + ':':<12} {fields.get(field_id) if fields.get(field_id) is not None else '(unset)'}")
    decision = (issue.get("properties") or {}).get(cat.PROPERTY_KEY)
    if decision is None:
        click.echo(f"  property {cat.PROPERTY_KEY}: (not set yet: is the worker running?)")
    else:
        click.echo(f"  property {cat.PROPERTY_KEY}:")
        for line in json.dumps(decision, indent=2, sort_keys=True).splitlines():
            click.echo(f"    {line}")
    values = comments.get("values") or []
    click.echo(f"  comments:  {len(values)}")
    for comment in values:
        who = comment.get("author", {}).get("displayName", "?")
        visibility = "public" if comment.get("public") else "internal"
        click.echo(f"    - [{visibility}] {who} at {comment.get('created', {}).get('jira')}:")
        for line in str(comment.get("body", "")).splitlines():
            click.echo(f"        {line}")
