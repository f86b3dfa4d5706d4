"""The console's pages. Every page needs a signed-in user; every form that changes something is a
POST with a CSRF token (Flask-WTF). Filters are GET forms: they change nothing, so they carry no
token and can be bookmarked."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import wraps
from urllib.parse import urlsplit

import redis
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from app.console import auth, board, csrf, reminders_page, request_page
from worker import clock, open_requests
from worker.config.live import NoUsableConfig
from worker.policy.calendar import zone_named
from worker.policy.sla import holidays_from_text
from worker.reminders.plan import threshold_code
from worker.reminders.store import CLAIMED, DUE

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")

PER_PAGE = 100
MAX_PAGE = 10_000
ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,30}-\d{1,12}")
UTC = timezone.utc


def _page(template: str, status: int = 200, **context):
    return render_template(f"console/{template}", user=g.get("console_user"),
                           can_sign_out=g.get("console_session", False), **context), status


def _problem(status: int, title: str, message: str):
    return _page("problem.html", status, title=title, message=message)


@bp.before_request
def _guard():
    if not auth.services().settings.admin_token:
        return _problem(404, "The console is off", "Set ADMIN_TOKEN to turn the console on (as for the admin API).")
    csrf.protect()
    g.console_user = auth.current_user()
    g.console_session = "sid" in session  # signed in with the token (a proxy's user has nothing to sign out of)
    return None


@bp.after_request
def _headers(response):
    # Pages show customer data: never cached, never framed; no script runs but our own.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'self'; img-src 'self'; "
                                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.errorhandler(CSRFError)
def _csrf_refused(exc: CSRFError):
    return _problem(400, "Form refused", f"The form's security token was refused ({exc.description}). "
                    "Reload the page and send the form again.")


def signed_in(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        if g.console_user is None:
            return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return guarded


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never another site (an open redirect)."""
    if not target or len(target) > 2000:
        return url_for("console.board_page")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/") or "\\" in target:
        return url_for("console.board_page")
    return target


@bp.get("/")
def home():
    return redirect(url_for("console.board_page"))


@bp.get("/sign-in")
def sign_in():
    if g.console_user is not None:
        return redirect(_safe_next(request.args.get("next")))
    return _page("sign_in.html", next=_safe_next(request.args.get("next")), proxy=bool(
        auth.services().settings.console.proxy_user_header))


@bp.post("/sign-in")
def sign_in_post():
    given = request.form.get("token", "")
    target = _safe_next(request.form.get("next"))
    if not given.strip():
        return _page("sign_in.html", 400, next=target, error="Enter the admin token (ADMIN_TOKEN).")
    if not auth.token_matches(given):
        return _page("sign_in.html", 401, next=target, error="That is not the admin token.")
    auth.sign_in()
    return redirect(target, code=303)


@bp.post("/sign-out")
def sign_out():
    auth.sign_out()
    return redirect(url_for("console.sign_in"), code=303)


@bp.errorhandler(redis.RedisError)
def _no_redis(_exc):
    return _problem(503, "Redis does not answer", "The console reads everything from Redis; try again shortly.")


@bp.errorhandler(NoUsableConfig)
def _no_config(exc: NoUsableConfig):
    return _problem(503, "No usable mapping config", str(exc))


def _config():
    return auth.services().live_config.current()


def _duration(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    text = (f"{days}d " if days else "") + (f"{hours}h " if hours or days else "") + f"{minutes}m"
    return text


def _when(epoch: float, zone: str) -> dict[str, str]:
    instant = datetime.fromtimestamp(epoch, UTC)
    local = instant.astimezone(zone_named(zone))
    return {"local": f"{local:%a %d %b %H:%M} {local.tzname()}", "utc": f"{instant:%a %d %b %H:%M} UTC",
            "iso": instant.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _time_left(config, row, now: datetime) -> str:
    level, region = row["level"], row["region"]
    if level not in config.levels or region not in config.regions:
        return "level or region no longer in the config"
    own_zone = row["zone"] if row["zone"] != config.regions[region].zone else None
    calendar = config.sla_policy().calendar_for(level, region, zone=own_zone,
                                                holidays=holidays_from_text(row.get("holidays")))
    left = calendar.elapsed(now, datetime.fromtimestamp(row["due"], UTC)).total_seconds()
    if left < 0:
        return f"{_duration(left)} over"
    return _duration(left) + ("" if calendar.is_open(now) else " (clock stopped)")


def _next_reminders(shown, now: float) -> dict[str, str]:
    """The next waiting reminder of each row shown, from the reminder schedule (two reads)."""
    members = [f"{row['key']}|{threshold_code(at)}" for _, row in shown for at, _ in row["reminders"]]
    if not members:
        return {}
    pipe = auth.services().redis.pipeline(transaction=False)
    pipe.zmscore(DUE, members)
    pipe.zmscore(CLAIMED, members)
    due, claimed = pipe.execute()
    found: dict[str, tuple[float, str]] = {}
    for name, due_at, lease in zip(members, due, claimed):
        key, code = name.rsplit("|", 1)
        if lease is not None:
            found[key] = (0.0, f"{code} % firing now")
        elif due_at is not None and (key not in found or due_at < found[key][0]):
            wait = due_at - now
            found[key] = (due_at, f"{code} % " + (f"in {_duration(wait)}" if wait > 0 else "due now")
                          + f" ({datetime.fromtimestamp(due_at, UTC):%H:%M} UTC)")
    return {key: text for key, (_, text) in found.items()}


# Offered on the board's zone picker; any IANA zone may be typed.
VIEWER_ZONES = ("UTC", "America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/London",
                "Europe/Amsterdam", "Europe/Berlin", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney")


def _viewer_zone() -> str:
    """The zone the viewer reads due times in: `?zone=` (then remembered in the session), else the
    session's, else UTC. No JavaScript: the board's filter form sends it."""
    given = request.args.get("zone", "").strip()
    if not given:
        kept = session.get("zone")
        return kept if isinstance(kept, str) else "UTC"
    try:
        if len(given) > 64:
            raise ValueError(given)
        zone_named(given)
    except ValueError:
        raise board.FilterError(f"zone: {board._shown(given)} is not a time zone; give an IANA name such as "
                                "Europe/Amsterdam, America/New_York or UTC") from None
    session["zone"] = given
    return given


def _parsed_rows() -> open_requests.ParsedRows:
    return current_app.extensions.setdefault("psw_console_rows", open_requests.ParsedRows())


def jira_link(key: str) -> str | None:
    site = auth.services().settings.jira
    return f"{site.url}/browse/{key}" if site else None


def _teams(config) -> list[str]:
    """The teams of the routing config, for the board's "team now" filter."""
    routing = config.routing
    if routing is None:
        return []
    return list(dict.fromkeys([*(team.team for team in routing.regions.values()), routing.select.team]))


@bp.get("/board")
@signed_in
def board_page():
    config = _config()
    try:
        filters = board.Filters.parse(request.args, config.levels, config.regions, _teams(config))
        viewer = _viewer_zone()
        page = int(request.args.get("page", "1") or "1")
        if not 1 <= page <= MAX_PAGE:
            raise ValueError
    except board.FilterError as exc:
        return _problem(400, "Filter refused", str(exc))
    except ValueError:
        return _problem(400, "Filter refused", f"page: a whole number from 1 to {MAX_PAGE}")
    now = clock.now()
    rows, responded = open_requests.rows(auth.services().redis, _parsed_rows())
    history = open_requests.breach_history(auth.services().redis, now - timedelta(days=max(board.WINDOWS)))
    built = board.build(rows, responded, history, filters, now.timestamp())
    shown = built.rows[(page - 1) * PER_PAGE: page * PER_PAGE]
    reminders = _next_reminders(shown, now.timestamp())
    lines = []
    for state, row in shown:
        answer = responded.get(row["key"])
        lines.append({
            "row": row, "state": state, "link": jira_link(row["key"]), "due": _when(row["due"], row["zone"]),
            "due_viewer": _when(row["due"], viewer)["local"],
            "left": "-" if state == board.RESPONDED else _time_left(config, row, now),
            "next": reminders.get(row["key"]) or ("-" if state == board.RESPONDED else "none waiting"),
            "responded": _when(answer["at"], "UTC")["utc"] if answer else None,
        })
    pages = max(1, -(-len(built.rows) // PER_PAGE))
    # One prefix for every row: url_for per row is measurable. Keys are Jira's (PS-123), escaped by Jinja.
    request_base = url_for("console.request_view", issue_key="PS-1")[:-len("PS-1")]
    return _page("board.html", board=built, lines=lines, filters=filters, page=page, pages=pages, request_base=request_base,
                 levels=list(config.levels), regions=list(config.regions), states=board.STATES, viewer=viewer,
                 viewer_zones=sorted({*VIEWER_ZONES, *(r.zone for r in config.regions.values())}), teams=_teams(config),
                 now=_when(now.timestamp(), "UTC")["utc"], args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/requests/<issue_key>")
@signed_in
def request_view(issue_key: str):
    if not ISSUE_KEY.fullmatch(issue_key):
        return _problem(400, "Not an issue key", "An issue key looks like PS-123.")
    config = _config()
    view = request_page.load(auth.services(), config, issue_key, clock.now())
    if view is None:
        return _problem(404, f"{issue_key}: no decision recorded",
                        "The worker has no triage of this request in its records (open requests and the audit trail).")
    return _page("request.html", view=view, link=jira_link(issue_key), key=issue_key)


@bp.get("/reminders")
@signed_in
def reminders():
    now = clock.now()
    settings = auth.services().settings
    return _page("reminders.html", view=reminders_page.load(auth.services().redis, now), stamp=now.timestamp(),
                 now=_when(now.timestamp(), "UTC")["utc"], duration=_duration,
                 lag_limit=settings.liveness.reminder_max_wait, interval=settings.reminders.dispatch_interval)
