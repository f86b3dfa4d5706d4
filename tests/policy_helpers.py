"""Building blocks for the policy tests: the shipped config, its sample records, and facts."""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

import yaml

from worker.config import MappingConfig, default_config_path, load_config, parse_config
from worker.entitlement.files import load_entitlements
from worker.policy.entitlement import Entitlement
from worker.policy.facts import Reporter, RequestFacts

# Thursday 26 November 2026, 10:00 UTC (11:00 in Amsterdam; US Thanksgiving).
CREATED = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
GLOBEX_ADMIN = Reporter(account_id="557058:11111111-aaaa-4bbb-8ccc-000000000001", display_name="Gia Globex")


@lru_cache(maxsize=None)
def shipped() -> MappingConfig:
    return load_config(default_config_path())


@lru_cache(maxsize=None)
def sample_records() -> dict[str, Entitlement]:
    config = shipped()
    return load_entitlements(config.resolve(config.entitlement.path), frozenset(config.regions))


def record(sen: str, **changes: Any) -> Entitlement:
    return sample_records()[sen].model_copy(update=changes) if changes else sample_records()[sen]


def new_record(**values: Any) -> Entitlement:
    base = dict(sen="SEN-20000001", customer="Example Ltd", region="EMEA", deployment="data-center",
                products=["Jira Software"], maintenance_end=date(2027, 12, 31), admins=["admin@example.com"])
    return Entitlement.model_validate(base | values)


def facts(**overrides: Any) -> RequestFacts:
    """An entitled-looking request from Globex (SEN-10000001), changed by `overrides`."""
    base = RequestFacts(
        issue_key="PS-1", issue_id="10001", created=CREATED, summary="Something broke",
        sen="SEN-10000001", product="Jira Software", version="10.3.2", environment="Production",
        severity_option="L2 - Serious degradation", priority="Medium",
        request_type_name="Report a production outage", request_type_id="12", reporter=GLOBEX_ADMIN,
    )
    return replace(base, **overrides)


def _merge(into: dict, patch: dict) -> dict:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def config_with(patch: dict[str, Any]) -> MappingConfig:
    """The shipped config with `patch` merged in (dicts deep, everything else replaced)."""
    data = yaml.safe_load(default_config_path().read_text())
    text = yaml.safe_dump(_merge(copy.deepcopy(data), patch), sort_keys=False)
    return parse_config(text, name="patched.yaml", source=default_config_path())
