"""Entitlement sources: a file (YAML/CSV) or JSM Assets, behind `lookup(sen)`, with a TTL cache."""
from worker.entitlement.sources import (
    CachedSource,
    EntitlementSource,
    EntitlementSourceUnavailable,
    FileSource,
    source_from_config,
)

__all__ = ["CachedSource", "EntitlementSource", "EntitlementSourceUnavailable", "FileSource", "source_from_config"]
