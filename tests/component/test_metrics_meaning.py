"""Metrics that clear and mean what their names say (issue 11, operability).

psw_config_errors follows the file on disk now: it clears as soon as a good file loads.
psw_reminder_backlog{state} counts reminders by what they are at scrape time: `due` is only the
ones whose instant has come, not every scheduled one.
"""
from __future__ import annotations

import dataclasses
import re

from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from worker import clock
from worker.reminders.store import CLAIMED, DUE


def samples(client, name: str) -> dict[tuple, float]:
    text = client.get("/metrics").get_data(as_text=True)
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def served(settings, config_file):
    app = create_app(dataclasses.replace(settings, mapping_config=str(config_file)))
    app.testing = True
    app.extensions["psw"].live_config.check_interval = 0  # re-read on every scrape, not every 2 s
    return app.test_client()


def test_config_errors_rise_with_a_broken_file_and_clear_when_it_is_fixed(settings, config_file):
    client = served(settings, config_file)
    assert samples(client, "psw_config_errors") == {(): 0.0}
    good = config_file.read_text()
    config_file.write_text(good.replace("\nlevels:", "\nlevles:", 1))
    assert samples(client, "psw_config_errors")[()] >= 1
    config_file.write_text(good)
    assert samples(client, "psw_config_errors") == {(): 0.0}


def test_config_errors_count_a_broken_file_with_no_good_config_known(settings, config_file, redis_client):
    config_file.write_text(config_file.read_text().replace("\nlevels:", "\nlevles:", 1))
    # No served() here: the web builds its config lazily, so the scrape itself meets the broken file.
    app = create_app(dataclasses.replace(settings, mapping_config=str(config_file)))
    client = app.test_client()
    assert samples(client, "psw_config_errors")[()] >= 1
    config_file.write_text(config_file.read_text().replace("\nlevles:", "\nlevels:", 1))
    assert samples(client, "psw_config_errors") == {(): 0.0}


def test_reminder_backlog_counts_due_only_when_due(client, redis_client):
    now = clock.now().timestamp()
    redis_client.zadd(DUE, {"PS-1|50": now - 30, "PS-2|50": now - 1,  # due, not yet claimed
                            "PS-3|50": now + 600, "PS-4|75": now + 3600, "PS-5|90": now + 86400})  # later
    redis_client.zadd(CLAIMED, {"PS-6|50": now + 300,  # claimed, lease running
                                "PS-7|50": now - 5})  # claimed, lease ran out
    backlog = {dict(labels)["state"]: value for labels, value in samples(client, "psw_reminder_backlog").items()}
    assert backlog == {"scheduled": 3, "due": 2, "claimed": 1, "lapsed": 1}


def test_reminder_backlog_follows_the_schedule_without_a_dispatch(client, redis_client):
    # Nothing but the schedule itself changes; the gauge is read from Redis at scrape time, so no
    # dispatch (and no stale value of a process that dispatched long ago) stands between them.
    redis_client.zadd(DUE, {"PS-1|50": clock.now().timestamp() + 600})
    assert dict(samples(client, "psw_reminder_backlog"))[(("state", "due"),)] == 0
    assert dict(samples(client, "psw_reminder_backlog"))[(("state", "scheduled"),)] == 1
    redis_client.zadd(DUE, {"PS-1|50": clock.now().timestamp() - 1})
    assert dict(samples(client, "psw_reminder_backlog"))[(("state", "due"),)] == 1
    assert dict(samples(client, "psw_reminder_backlog"))[(("state", "scheduled"),)] == 0


def test_every_psw_metric_has_help_and_no_gauge_is_kept_per_process():
    # A gauge set by one process outlives what it measured in PROMETHEUS_MULTIPROC_DIR; every
    # psw_ gauge is computed at scrape time (app/ops.py) instead.
    from prometheus_client import Gauge

    import worker.metrics as metrics

    for name, value in vars(metrics).items():
        if hasattr(value, "_name") and value._name.startswith("psw_"):
            assert not isinstance(value, Gauge), name
            assert value._documentation and re.search(r"\w", value._documentation), name
