"""Entitlement sources: the YAML/CSV file, the TTL cache, and building the configured one."""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

from tests.policy_helpers import config_with, sample_records, shipped
from worker.config import ConfigError
from worker.entitlement.files import load_entitlements
from worker.entitlement.sources import (
    CachedSource,
    EntitlementSourceUnavailable,
    FileSource,
    source_from_config,
)
from worker.settings import Settings

DEFAULTS = Path(__file__).resolve().parents[2] / "worker" / "defaults"
REGIONS = frozenset({"AMER", "EMEA", "APAC"})


def test_the_sample_file_covers_every_deployment_and_the_csv_says_the_same():
    records = sample_records()
    assert {r.deployment for r in records.values()} == {"data-center", "server", "cloud"}
    assert load_entitlements(DEFAULTS / "entitlements.csv", REGIONS) == records


@pytest.mark.parametrize("name", ["entitlements.yaml", "entitlements.csv"])
def test_a_file_source_looks_up_any_sen_form(name):
    source = FileSource(DEFAULTS / name, REGIONS)
    assert source.lookup("SEN-L10000001").customer == "Globex Corporation"
    assert source.lookup("10000003").maintenance_end.isoformat() == "2026-03-31"
    assert source.lookup("SEN-99999999") is None


def test_a_missing_file_makes_the_source_unavailable(tmp_path):
    with pytest.raises(EntitlementSourceUnavailable, match="cannot read"):
        FileSource(tmp_path / "nope.yaml").lookup("SEN-10000001")


def _write(path: Path, text: str, tick: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(tick * 10**9, tick * 10**9))  # a distinct mtime however fast the test runs


def test_a_file_source_rereads_a_changed_file_and_keeps_the_last_good_records(tmp_path, caplog):
    path = tmp_path / "entitlements.yaml"
    shutil.copy(DEFAULTS / "entitlements.yaml", path)
    source = FileSource(path, REGIONS)
    assert source.lookup("SEN-10000001").customer == "Globex Corporation"
    _write(path, path.read_text().replace("Globex Corporation", "Globex Holdings"), 1)
    assert source.lookup("SEN-10000001").customer == "Globex Holdings"
    _write(path, path.read_text().replace("region: EMEA", "region: EUROPE"), 2)
    assert source.lookup("SEN-10000001").customer == "Globex Holdings"
    assert "unknown region 'EUROPE'" in caplog.text


def test_a_file_that_never_loaded_makes_the_source_unavailable(tmp_path):
    path = tmp_path / "entitlements.yaml"
    path.write_text("entitlements:\n  - sen: SEN-1234\n")
    with pytest.raises(EntitlementSourceUnavailable, match="missing required key 'customer'"):
        FileSource(path).lookup("SEN-10000001")


def test_file_problems_name_the_line_and_key(tmp_path):
    path = tmp_path / "entitlements.yaml"
    path.write_text(
        "entitlements:\n"
        "  - sen: SEN-10000001\n"
        "    customer: A\n"
        "    region: EMEA\n"
        "    deployment: datacentre\n"
        "    products: [Jira Software]\n"
        "    maintenance_end: 2027-01-01\n"
        "    admin: [a@example.com]\n"
        "  - sen: SEN-L10000001\n"
        "    customer: B\n"
        "    region: MARS\n"
        "    deployment: dc\n"
        "    products: Jira Software; Confluence\n"
        "    maintenance_end: 2027-01-01\n")
    with pytest.raises(ConfigError) as caught:
        load_entitlements(path, REGIONS)
    assert [str(p).removeprefix(f"{path}:") for p in caught.value.problems] == [
        "5: entitlements[0].deployment: unknown deployment 'datacentre' (expected data-center, server or cloud)",
        "8: entitlements[0].admin: unknown key 'admin' (did you mean 'admins'?)",
        "9: entitlements[1].sen: SEN-10000001 is listed more than once",
        "11: entitlements[1].region: unknown region 'MARS' (the mapping config has AMER, APAC, EMEA)",
    ]


def test_csv_problems_name_the_row_line_and_column(tmp_path):
    path = tmp_path / "entitlements.csv"
    path.write_text("sen,customer,region,deployment,products,maintenance_end\n"
                    "SEN-10000001,A,EMEA,data-center,Jira Software,2027-01-01\n"
                    "SEN-10000002,B,EMEA,data-center,Jira Software,31/12/2027\n")
    with pytest.raises(ConfigError) as caught:
        load_entitlements(path, REGIONS)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: maintenance_end: expected a date such as 2026-01-31, got '31/12/2027'"]


class CountingSource:
    def __init__(self, answers):
        self.answers = answers
        self.calls = 0

    def lookup(self, sen):
        self.calls += 1
        answer = self.answers.get(sen)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_the_cache_remembers_answers_for_its_ttl():
    globex = sample_records()["SEN-10000001"]
    inner = CountingSource({"SEN-10000001": globex})
    cached = CachedSource(inner, timedelta(minutes=5))
    with time_machine.travel(datetime(2026, 11, 26, 10, tzinfo=timezone.utc), tick=False) as traveller:
        assert cached.lookup("SEN-L10000001") is globex
        assert cached.lookup("10000001") is globex
        assert cached.lookup("SEN-99999999") is None
        assert cached.lookup("SEN-99999999") is None
        assert inner.calls == 2
        traveller.shift(timedelta(minutes=5))
        assert cached.lookup("SEN-10000001") is globex
        assert inner.calls == 3


def test_the_cache_does_not_remember_that_a_source_was_down():
    inner = CountingSource({"SEN-10000001": EntitlementSourceUnavailable("down")})
    cached = CachedSource(inner, timedelta(minutes=5))
    for _ in range(2):
        with pytest.raises(EntitlementSourceUnavailable):
            cached.lookup("SEN-10000001")
    assert inner.calls == 2


def test_the_cache_stays_within_its_size():
    inner = CountingSource({})
    cached = CachedSource(inner, timedelta(minutes=5), max_entries=3)
    for n in range(10):
        cached.lookup(f"SEN-1000000{n}")
    assert len(cached._cache) == 3


def test_the_configured_source_is_the_shipped_file_behind_a_cache():
    source = source_from_config(shipped())
    assert isinstance(source, CachedSource) and source.ttl == timedelta(minutes=5)
    assert isinstance(source.inner, FileSource) and source.inner.path == DEFAULTS / "entitlements.yaml"
    assert source.lookup("SEN-10000008").customer == "Tyrell Fisheries"


def test_an_assets_source_needs_a_jira_site():
    config = config_with({"entitlement": {"source": "assets", "path": None,
                                          "aql": 'objectType = "Entitlement" AND SEN = "{sen}"', "cache_ttl": "0s"}})
    with pytest.raises(ValueError, match="needs a Jira site"):
        source_from_config(config, Settings.from_env({}))
    settings = Settings.from_env({"JIRA_URL": "https://jira.example.test", "JIRA_PAT": "pat-secret"})
    from worker.jira.assets import AssetsSource

    assert isinstance(source_from_config(config, settings), AssetsSource)  # cache_ttl 0: no cache
