"""A write whose answer timed out may still be carried out by Jira after the client gave up (the
chaos run, issue 11, found the triage's comment twice this way: the retry looked for it 0.5 s
later, before the slow request had landed). The gateway says so (JiraWriteUncertain), and the
retry waits at least the settle time before it looks."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
import requests
import responses

from jirasim.simulator import JiraSimulator
from tests.http.sites import CLOUD, DATACENTER
from worker.config.loader import default_config_path, load_config
from worker.entitlement.sources import FileSource
from worker.jira.errors import JiraUnavailable, JiraWriteUncertain
from worker.jira.gateway import WRITE_SETTLE_TIMEOUTS, JiraGateway
from worker.jira.retry import retry_countdown
from worker.retrying import countdown_for
from worker.settings import JiraSite
from worker.triage import decision_marker, triage


@pytest.mark.parametrize("site", [CLOUD, DATACENTER], ids=["cloud", "datacenter"])
def test_a_write_that_timed_out_is_uncertain_and_a_read_or_an_unsent_write_is_not(site):
    gateway = JiraGateway(site)
    comment = f"{site.url}/rest/servicedeskapi/request/PS-1/comment"
    with responses.RequestsMock() as rsps:
        rsps.post(comment, body=requests.ReadTimeout("read timed out"))
        with pytest.raises(JiraWriteUncertain) as raised:
            gateway.add_internal_comment("PS-1", "hi")
        assert raised.value.settle == WRITE_SETTLE_TIMEOUTS * site.timeout
        rsps.post(comment, body=requests.ConnectTimeout("connect timed out"))  # never sent
        with pytest.raises(JiraUnavailable) as raised:
            gateway.add_internal_comment("PS-1", "hi")
        assert not isinstance(raised.value, JiraWriteUncertain)
        rsps.get(comment, body=requests.ReadTimeout("read timed out"))  # a read: nothing to land
        with pytest.raises(JiraUnavailable) as raised:
            gateway.get_comments("PS-1")
        assert not isinstance(raised.value, JiraWriteUncertain)


def test_the_retry_of_an_uncertain_write_waits_at_least_its_settle_time():
    uncertain = JiraWriteUncertain("late", settle=20.0)
    assert retry_countdown(uncertain, 0, rng=lambda: 0.0) == 20.0
    assert retry_countdown(uncertain, 6, rng=lambda: 1.0) == 128.0  # the backoff, when longer
    assert retry_countdown(uncertain, 0, cap=5.0, rng=lambda: 0.0) == 5.0  # the cap still holds
    assert countdown_for(uncertain, 0, visibility_timeout=3600) >= 20.0


def test_a_triage_whose_comment_timed_out_but_landed_posts_it_once(redis_client):
    config = load_config(default_config_path())
    source = FileSource(config.resolve(config.entitlement.path), frozenset(config.regions))
    with JiraSimulator() as sim:
        created = sim.create_request(summary="Down", sen="SEN-10000001", severity="L1", product="Jira Software",
                                     version="10.3.4", environment="Production",
                                     reporter="ops-admin@globex.example", fire_webhooks=False)
        key = created["issueKey"]
        issue = sim.issue(key)
        site = JiraSite(url=sim.url, deployment="cloud", email="psw@example.com", api_token="t", timeout=0.3)
        # Jira takes 0.6 s over the comment: the client gives up at 0.3 s, the comment lands at 0.6 s.
        sim.add_fault("POST", r"/comment$", None, delay=0.6, times=1)

        def attempt():
            return triage(issue=issue, delivery_id="d-1", config=config, source=source,
                          gateway=JiraGateway(site), redis_client=redis_client,
                          now=datetime.now(timezone.utc))

        with pytest.raises(JiraWriteUncertain) as raised:
            attempt()
        wait = countdown_for(raised.value, 0, visibility_timeout=3600)
        assert wait >= 0.6  # the retry comes after the slow write has landed
        time.sleep(wait)
        assert attempt().status == "written"
        markers = [c for c in sim.comments(key) if decision_marker("") .rstrip(")") in c["body"]]
        assert len(markers) == 1, [c["body"][-40:] for c in sim.comments(key)]
