"""The pure mapping from a Jira answer to a JiraError, and Retry-After arithmetic."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from worker.jira.errors import JiraRejected, JiraRetryLater, JiraUnavailable
from worker.jira.outcomes import (
    DEFAULT_RETRY_AFTER,
    error_for_status,
    jira_error_details,
    rate_limit_reset_seconds,
    redact,
    retry_after_seconds,
)

NOW = datetime(2025, 3, 4, 10, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw, seconds", [
    ("0", 0.0), ("30", 30.0), (" 12 ", 12.0), ("1.5", 1.5),
    (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
    ("Tue, 04 Mar 2025 10:02:00 GMT", 120.0),
    ("Tue, 04 Mar 2025 09:00:00 GMT", 0.0),  # already past: go now
    ("Tue, 04 Mar 2025 10:00:30 -0000", 30.0),  # "-0000" parses naive; it is still UTC
])
def test_retry_after_reads_seconds_and_http_dates(raw, seconds):
    assert retry_after_seconds(raw, NOW) == seconds


@pytest.mark.parametrize("raw", [None, "", "  ", "-5", "soon", "inf", "nan", "Tue, 99 Foo 2025"])
def test_unreadable_retry_after_is_none(raw):
    assert retry_after_seconds(raw, NOW) is None


@pytest.mark.parametrize("raw, seconds", [
    ("2025-03-04T10:01Z", 60.0), ("2025-03-04T10:00:10.500Z", 10.5), ("2025-03-04T11:00:00+01:00", 0.0),
    ("2025-03-04T10:00:05", 5.0), ("tomorrow", None), ("", None), (None, None),
])
def test_rate_limit_reset_is_an_iso_instant(raw, seconds):
    assert rate_limit_reset_seconds(raw, NOW) == seconds


def headers(**values):
    return CaseInsensitiveDict({k.replace("_", "-"): v for k, v in values.items()})


def test_429_prefers_retry_after_then_rate_limit_reset_then_the_default():
    both = error_for_status("GET /f", 429, headers(retry_after="7", x_ratelimit_reset="2025-03-04T10:01Z"), "", NOW)
    reset = error_for_status("GET /f", 429, headers(retry_after="junk", x_ratelimit_reset="2025-03-04T10:01Z"), "",
                             NOW)
    bare = error_for_status("GET /f", 429, headers(), "", NOW)
    assert [e.retry_after for e in (both, reset, bare)] == [7.0, 60.0, DEFAULT_RETRY_AFTER]
    assert str(both) == "Jira asked to retry GET /f in 7 s (429)"


def test_503_is_retry_later_only_with_a_readable_retry_after():
    assert isinstance(error_for_status("GET /f", 503, headers(retry_after="3"), "", NOW), JiraRetryLater)
    assert isinstance(error_for_status("GET /f", 503, headers(retry_after="later"), "", NOW), JiraUnavailable)
    assert isinstance(error_for_status("GET /f", 503, headers(x_ratelimit_reset="2025-03-04T10:01Z"), "", NOW),
                      JiraUnavailable)


@given(st.integers(min_value=100, max_value=599))
def test_every_status_maps_to_one_kind(status):
    error = error_for_status("GET /f", status, headers(), "", NOW)
    if 200 <= status < 300:
        assert error is None
    elif status == 429:
        assert isinstance(error, JiraRetryLater)
    elif status >= 500:
        assert isinstance(error, JiraUnavailable)
    else:
        assert isinstance(error, JiraRejected) and error.status == status


def test_details_from_platform_and_service_desk_bodies():
    assert jira_error_details('{"errorMessages": ["a", ""], "errors": {"f": "bad", "n": 3}}') == (
        ["a"], {"f": "bad", "n": "3"})
    assert jira_error_details('{"errorMessage": "no request"}') == (["no request"], {})
    assert jira_error_details("<html>oops</html>") == ([], {})
    assert jira_error_details("[1, 2]") == ([], {})


def test_rejection_detail_falls_back_to_the_body_then_the_reason_and_is_bounded():
    html = error_for_status("GET /f", 400, headers(), "<p>  Bad\n request </p>", NOW)
    assert str(html) == "Jira rejected GET /f (400): <p> Bad request </p>"
    empty = error_for_status("GET /f", 405, headers(), "", NOW, reason="Method Not Allowed")
    assert str(empty) == "Jira rejected GET /f (405): Method Not Allowed"
    long = error_for_status("GET /f", 500, headers(), "x" * 5000, NOW)
    assert len(str(long)) < 400 and str(long).endswith("...")


def test_unexpected_final_status_is_rejected():
    error = error_for_status("GET /f", 302, headers(), "", NOW, reason="Found")
    assert isinstance(error, JiraRejected) and "unexpected status 302" in str(error)


def test_redact_hides_every_secret_and_ignores_empty_ones():
    assert redact("a s3cret and tok", ["s3cret", "", "tok"]) == "a *** and ***"
    error = error_for_status("GET /f", 400, headers(), '{"errorMessages": ["s3cret"], "errors": {"f": "s3cret!"}}',
                             NOW, secrets=["s3cret"])
    assert "s3cret" not in str(error)
    assert error.error_messages == ["***"] and error.field_errors == {"f": "***!"}
