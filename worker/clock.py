"""The one place code takes the current time from, so tests can move it (time-machine)."""
from datetime import datetime, timezone


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)
