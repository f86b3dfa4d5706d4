"""retry_countdown: the task-side retry policy (pure; no Celery, no clock)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.jira.errors import JiraError, JiraRejected, JiraRetryLater, JiraUnavailable
from worker.jira.retry import DEFAULT_CAP, countdown_cap, retry_countdown
from worker.settings import Settings

UNAVAILABLE = JiraUnavailable("Jira failed GET /rest/api/2/field (502): Bad gateway")
attempts = st.integers(min_value=0, max_value=5000)
bases = st.floats(min_value=0.001, max_value=100, allow_nan=False)
caps = st.floats(min_value=0.001, max_value=3600, allow_nan=False)
unit = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


def ceiling(attempt: int, base: float, cap: float) -> float:
    return cap if attempt >= 1000 else min(cap, base * 2.0 ** attempt)


@given(attempts, bases, caps, unit)
def test_backoff_is_full_jitter_under_the_ceiling(attempt, base, cap, draw):
    countdown = retry_countdown(UNAVAILABLE, attempt, base=base, cap=cap, rng=lambda: draw)
    assert countdown == pytest.approx(draw * ceiling(attempt, base, cap), rel=1e-9, abs=1e-12)
    assert 0.0 <= countdown <= cap


@given(attempts, bases, caps)
def test_the_ceiling_never_shrinks_as_attempts_grow(attempt, base, cap):
    top = lambda: 1.0  # noqa: E731 - the largest draw shows the ceiling itself
    now = retry_countdown(UNAVAILABLE, attempt, base=base, cap=cap, rng=top)
    later = retry_countdown(UNAVAILABLE, attempt + 1, base=base, cap=cap, rng=top)
    assert now <= later <= cap


def test_backoff_doubles_from_the_base():
    top = lambda: 1.0  # noqa: E731
    assert [retry_countdown(UNAVAILABLE, a, rng=top) for a in range(6)] == [2, 4, 8, 16, 32, 64]
    assert retry_countdown(UNAVAILABLE, 30, rng=top) == DEFAULT_CAP
    assert retry_countdown(UNAVAILABLE, 3, rng=lambda: 0.25) == 4.0


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False), attempts, caps)
def test_retry_later_honours_retry_after_up_to_the_cap(retry_after, attempt, cap):
    error = JiraRetryLater("Jira asked to retry GET /x in 1 s (429)", retry_after)
    assert retry_countdown(error, attempt, cap=cap) == min(retry_after, cap)


def test_retry_later_is_not_jittered():
    error = JiraRetryLater("Jira asked to retry", 37.0)
    assert retry_countdown(error, 4, rng=lambda: 0.0) == 37.0


@pytest.mark.parametrize("error", [JiraRejected("Jira rejected PUT /x (400): no", 400), JiraError("other")])
def test_rejections_are_not_retried(error):
    assert retry_countdown(error, 0) is None


@pytest.mark.parametrize("kwargs, problem", [
    (dict(attempt=-1), "attempt"), (dict(attempt=True), "attempt"), (dict(attempt=1.5), "attempt"),
    (dict(attempt=0, base=0), "base"), (dict(attempt=0, cap=0), "cap"), (dict(attempt=0, cap=float("nan")), "cap"),
])
def test_bad_arguments_name_the_problem(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        retry_countdown(UNAVAILABLE, **kwargs)


def test_the_cap_stays_well_under_the_visibility_timeout():
    default = Settings(redis_url="redis://localhost/0").visibility_timeout
    assert DEFAULT_CAP <= default / 4
    assert countdown_cap(default) == DEFAULT_CAP
    assert countdown_cap(1000) == 250.0
    with pytest.raises(ValueError, match="visibility timeout"):
        countdown_cap(0)


@given(attempts, st.floats(min_value=1, max_value=86400, allow_nan=False), unit)
def test_any_countdown_under_the_derived_cap_beats_the_visibility_timeout(attempt, visibility, draw):
    cap = countdown_cap(visibility)
    for error in (UNAVAILABLE, JiraRetryLater("wait", 10 * visibility)):
        assert retry_countdown(error, attempt, cap=cap, rng=lambda: draw) <= visibility / 4
