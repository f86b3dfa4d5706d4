"""The console's pages about the service itself: the health page (and, beside it, the config and
entitlement pages). Routes on the console's blueprint (views.py), which signs every page in."""
from __future__ import annotations

from app.console import auth, health_page
from app.console.views import _page, bp, signed_in
from worker import clock


@bp.get("/health")
@signed_in
def health():
    now = clock.now()
    view = health_page.load(auth.services(), now)
    return _page("health.html", 200 if view.ready else 503, view=view, limits=auth.services().settings.liveness)
