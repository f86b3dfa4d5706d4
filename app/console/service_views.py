"""The console's pages about the service itself: its config (with an edit's preview), the
entitlement records, and its health. Routes on the console's blueprint (views.py), which signs
every page in and checks every form's CSRF token."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from flask import current_app, request

from app.console import auth, config_page, entitlements_page, health_page
from app.console.views import _config, _page, _parsed_rows, _problem, _when as _shown_when, bp, signed_in
from worker import clock, open_requests, recent_decisions
from worker.config.live import NoUsableConfig, versions_seen
from worker.config.loader import default_config_path
from worker.config.report import check_text
from worker.entitlement.sources import EntitlementSourceUnavailable


@bp.errorhandler(413)
def _too_large(_exc):
    limit = auth.services().settings.webhook_max_bytes
    return _problem(413, "Too large", f"The form is over the web process's {limit // 1024} KiB limit "
                    f"(WEBHOOK_MAX_BYTES); a mapping config is a few KiB.")


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%a %d %b %Y %H:%M UTC")


def _running_path() -> Path:
    """The mapping file the processes run (a relative path in an edit is taken from its folder)."""
    return Path(auth.services().settings.mapping_config or default_config_path())


def _config_view(status: int = 200, **shown):
    services = auth.services()
    try:
        live = services.live_config
        running, problems = live.current(), [str(p) for p in live.problems]
    except NoUsableConfig as exc:  # nothing runs: the page still shows why, and checks a fixed file
        running, problems = None, [str(p) for p in exc.problems] or [str(exc)]
    path = _running_path()
    if "text" not in shown:  # the file on disk, to edit in place
        try:
            shown["text"] = path.read_text(encoding="utf-8", errors="replace")[:config_page.MAX_CONFIG_BYTES]
        except OSError:
            shown["text"] = ""
    return _page("config.html", status, running=running, path=path, file_problems=problems,
                 versions=[(v, _when(first), _when(last), n) for v, first, last, n in versions_seen(services.redis)],
                 settings=config_page.settings_shown(services.settings),
                 config_yaml=config_page.config_yaml(running) if running else "", in_words=config_page.in_words,
                 most=recent_decisions.KEEP, **{"decisions": config_page.PREVIEW_DEFAULT, **shown})


@bp.get("/config")
@signed_in
def config_view():
    return _config_view()


@bp.post("/config/preview")
@signed_in
def config_preview():
    pasted = request.form.get("text", "")[:config_page.MAX_CONFIG_BYTES]
    try:
        text, name = config_page.edited_text(request.form, request.files)
        count = config_page.decisions_wanted(request.form.get("decisions"))
    except config_page.EditRefused as exc:
        return _config_view(400, refused=str(exc), text=pasted)
    report = check_text(text, name, _running_path())
    if not report.ok:
        return _config_view(422, report=report, text=pasted, decisions=count)
    return _config_view(200, report=report, text=pasted, decisions=count,
                        preview=config_page.preview(report, auth.services().redis, count))


@bp.get("/entitlements")
@signed_in
def entitlements():
    try:
        query = entitlements_page.parse_query(request.args.get("q", ""))
    except entitlements_page.SearchRefused as exc:
        return _problem(400, "Search refused", str(exc))
    services = auth.services()
    rows, responded = open_requests.rows(services.redis, _parsed_rows())
    cache = current_app.extensions.setdefault("psw_console_entitlements", {})  # the file source, kept
    try:
        view = entitlements_page.load(cache, _config(), services.settings, query, rows, responded,
                                      clock.now().timestamp())
    except EntitlementSourceUnavailable as exc:
        return _problem(503, "The entitlement source cannot answer", str(exc))
    return _page("entitlements.html", view=view, when=_shown_when, most=entitlements_page.SHOWN)


@bp.get("/health")
@signed_in
def health():
    now = clock.now()
    view = health_page.load(auth.services(), now)
    return _page("health.html", 200 if view.ready else 503, view=view, limits=auth.services().settings.liveness)
