"""The running config follows valid edits of its file and outlives invalid ones, even restarts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from worker.config.live import LiveConfig, NoUsableConfig, versions_seen


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_valid_edit_takes_over(config_file, redis_client):
    live = LiveConfig(config_file, redis_client, check_interval=0)
    before = live.current().version
    edit(config_file, "jira_priority: Highest", "jira_priority: High")
    after = live.current()
    assert after.version != before
    assert after.levels["L1"].jira_priority == "High"
    assert live.problems == []


def test_an_invalid_edit_keeps_the_last_good_config_and_names_file_and_line(config_file, redis_client):
    live = LiveConfig(config_file, redis_client, check_interval=0)
    good = live.current().version
    edit(config_file, "\nlevels:", "\nlevles:")
    assert live.current().version == good
    [problem, *_] = [p for p in live.problems if "levles" in str(p)]
    assert problem.file == str(config_file)
    assert problem.line == config_file.read_text().splitlines().index("levles:") + 1
    edit(config_file, "\nlevles:", "\nlevels:")
    assert live.current().version == good
    assert live.problems == []


def test_a_restart_on_a_broken_file_runs_the_last_good_config(config_file, redis_client):
    good = LiveConfig(config_file, redis_client).current().version
    edit(config_file, "\nlevels:", "\nlevles:")
    restarted = LiveConfig(config_file, redis_client)
    assert restarted.current().version == good
    assert restarted.problems


def test_a_broken_file_with_no_good_config_known_refuses(config_file, redis_client):
    edit(config_file, "\nlevels:", "\nlevles:")
    with pytest.raises(NoUsableConfig, match="levles"):
        LiveConfig(config_file, redis_client)


def test_the_file_is_not_reread_before_the_interval(config_file, redis_client):
    live = LiveConfig(config_file, redis_client, check_interval=3600)
    before = live.current().version
    edit(config_file, "jira_priority: Highest", "jira_priority: High")
    assert live.current().version == before
    assert live.reload() is True  # SIGHUP-style forced look


def test_every_version_that_took_over_is_noted_with_when(config_file, redis_client):
    start = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False):
        live = LiveConfig(config_file, redis_client, check_interval=0)
        first = live.current().version
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        edit(config_file, "jira_priority: Highest", "jira_priority: High")
        second = live.current().version
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        edit(config_file, "jira_priority: High\n", "jira_priority: Highest\n")
        assert live.current().version == first  # back to the first
    hour = 3600
    assert versions_seen(redis_client) == [(first, start.timestamp(), start.timestamp() + 2 * hour, 0),
                                           (second, start.timestamp() + hour, start.timestamp() + hour, 0)]
