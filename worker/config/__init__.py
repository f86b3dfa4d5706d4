"""The mapping config: typed model, loader with file:line errors, and cross-checks."""
from worker.config.loader import (
    ConfigError,
    ConfigProblem,
    default_config_path,
    load_config,
    parse_config,
)
from worker.config.models import MappingConfig

__all__ = ["ConfigError", "ConfigProblem", "MappingConfig", "default_config_path", "load_config", "parse_config"]
