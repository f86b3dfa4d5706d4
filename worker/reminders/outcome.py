"""What firing a claimed schedule member came to: a reminder (firing.py) or a handoff
(handoffs.py), which firing dispatches to, so the type is in neither."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    status: str
    issue_key: str
    detail: str = ""
