"""The SLA clock picture's geometry (app/console/clock_svg.py), against hand-counted calendars."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.console import clock_svg
from tests.console_fill import decision_property
from tests.policy_helpers import shipped

UTC = timezone.utc


def test_an_l2_over_the_global_weekend_has_one_closed_period_the_weekend_itself():
    # Friday 4 Dec 2026 23:30 UTC = 15:30 Los Angeles: 1 h 30 m before the global weekend closes
    # (Fri 17:00 LA = Sat 01:00 UTC), the rest after it opens (Mon 10:00 Sydney = Sun 23:00 UTC).
    created = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    prop = decision_property("PS-1", created, "L2")
    assert prop["due"] == "2026-12-06T23:30:00Z"
    pic = clock_svg.picture(prop, shipped(), created + timedelta(minutes=30))
    [level_row, weekend_row, holiday_row] = pic.rows
    closed = [b for b in level_row.bands if b.kind == "closed"]
    assert pic.closed_periods == 1 and len(closed) == 1
    [weekend] = weekend_row.bands
    assert (closed[0].x, closed[0].width) == (weekend.x, weekend.width)  # L2's calendar is the global week
    assert weekend.title.endswith("(Sat 01:00 - Sun 23:00 UTC)") and holiday_row.bands == ()
    assert [m.kind for m in sorted(pic.marks, key=lambda m: m.x)] == [
        "created", "now", "reminder", "reminder", "reminder", "due"]
    assert all(clock_svg.LEFT <= m.x <= clock_svg.WIDTH - clock_svg.RIGHT for m in pic.marks)


def test_a_request_breached_long_ago_is_drawn_to_twice_its_clock_and_says_where_now_is():
    created = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    prop = decision_property("PS-2", created, "L1")  # due 10:00 UTC
    now = created + timedelta(days=2)
    pic = clock_svg.picture(prop, shipped(), now)
    assert pic.end == created + timedelta(hours=2)
    assert "now" not in {m.kind for m in pic.marks} and "beyond the picture" in pic.note
    # Marks closer than a label's width get their labels on separate lines, not over one another.
    marks = [clock_svg.Mark(x, "reminder", "m", "") for x in (300, 310, 320, 400, 405)]
    assert [m.line for m in clock_svg._stagger(marks)] == [0, 1, 2, 0, 1]
    assert clock_svg.picture({**prop, "entitled": False}, shipped(), now) is None
    assert clock_svg.picture({**prop, "level": "L9"}, shipped(), now) is None
