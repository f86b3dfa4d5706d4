"""What a Celery worker loads once, in the pool's parent, before it forks its processes."""
from __future__ import annotations

import logging

from celery.signals import worker_init

from worker.config import ConfigError, default_config_path, load_config
from worker.policy.language import identify
from worker.settings import Settings, SettingsError

log = logging.getLogger(__name__)


@worker_init.connect
def load_language_model(**_) -> None:
    # The language model (about 100 MB, a second to load) is loaded before the prefork pool forks,
    # so the pool's processes share its read-only pages rather than each loading its own on its
    # first triage. Without a language rule it is never loaded.
    try:
        config = load_config(Settings.from_env().mapping_config or default_config_path())
    except (ConfigError, SettingsError):
        return  # the live config reports the problem; the model then loads on first use
    if any(rule.language is not None for rule in config.out_of_scope.rules):
        identify("warm up")
        log.info("language identification model loaded")
