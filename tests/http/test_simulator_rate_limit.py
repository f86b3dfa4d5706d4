"""The simulator's site-wide rate limit (jirasim/ratelimit.py): Jira Cloud's 429 with Retry-After
once the site's calls outrun the bucket, whoever makes them."""
from __future__ import annotations

import pytest
import requests

from jirasim.__main__ import parse_rate_limit
from jirasim.ratelimit import RateLimit
from jirasim.simulator import JiraSimulator

AUTH = ("psw@example.com", "token")


def test_a_bucket_refuses_past_its_burst_and_refills_at_its_rate():
    now = [100.0]
    limit = RateLimit(clock=lambda: now[0])
    limit.configure(per_second=2, burst=3)
    assert [limit.take() for _ in range(4)] == [None, None, None, 1.0]
    now[0] += 0.5  # one token back
    assert limit.take() is None and limit.take() == 1.0
    limit.configure(per_second=0.2, burst=1)
    assert limit.take() is None and limit.take() == 5.0  # whole seconds until the next token
    assert limit.describe() == {"per_second": 0.2, "burst": 1, "allowed": 1, "refused": 1}


def test_off_until_set_and_bad_settings_refused():
    limit = RateLimit()
    assert all(limit.take() is None for _ in range(1000))
    with pytest.raises(ValueError):
        limit.configure(per_second=5, burst=0)
    assert parse_rate_limit("20") == (20.0, 20) and parse_rate_limit("7.5:3") == (7.5, 3)
    with pytest.raises(ValueError, match="--rate-limit"):
        parse_rate_limit("fast")


def test_the_site_answers_429_with_retry_after_past_the_limit():
    with JiraSimulator() as sim:
        requests.post(f"{sim.url}/_sim/rate-limit", json={"per_second": 0.5, "burst": 2}, timeout=5).raise_for_status()
        answers = [requests.get(f"{sim.url}/rest/api/2/myself", auth=AUTH, timeout=5) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].headers["Retry-After"] == "2"
        assert requests.get(f"{sim.url}/_sim/rate-limit", timeout=5).json()["refused"] == 1
        bad = requests.post(f"{sim.url}/_sim/rate-limit", json={"per_second": 1, "burst": 0}, timeout=5)
        assert bad.status_code == 400 and "rate limit" in bad.text
