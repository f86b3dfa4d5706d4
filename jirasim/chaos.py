"""Seeded random faults for chaos runs (`python -m bench chaos`): a share of the /rest calls
answered 429 (with Retry-After), 500, or later than the client waits; and a share of the webhook
deliveries sent again, under the same identifier or a new one, as Jira Cloud does now and then.

Unlike jirasim/faults.py (a fault a test aims at one call), these hit calls at random with fixed
odds. A seed makes the sequence of draws repeatable; which call meets which draw still depends on
the order the calls arrive in. Every fault and every resend is counted, so a run can report what
it was put through. Off (all odds zero) until set through `/_sim/chaos`.

Spared issues (`spare`; a request created through `/_sim/requests` with `"chaos_spared": true`):
a call whose path names one (its key or id) meets no fault and draws nothing, counted as
`spared`. A chaos run's probe is one: its time to be triaged is to measure how the service
recovered from the fault it follows, not the odds of its own Jira calls.
"""
from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, fields

_MESSAGES = {429: "Rate limit exceeded.", 500: "Internal server error."}


@dataclass(frozen=True)
class ChaosSettings:
    seed: int = 0
    rate_limited: float = 0.0  # share of /rest calls answered 429
    retry_after: float = 1.0  # the 429's Retry-After, seconds
    server_error: float = 0.0  # share answered 500
    slow: float = 0.0  # share answered normally, but only after `slow_seconds`
    slow_seconds: float = 0.0
    resend_same: float = 0.0  # share of webhook deliveries sent again under the same identifier
    resend_new: float = 0.0  # share sent again as a new delivery (a new identifier)
    resend_within: float = 5.0  # a resend leaves 0.5 s to this many seconds after the original

    def __post_init__(self) -> None:
        shares = {"rate_limited": self.rate_limited, "server_error": self.server_error, "slow": self.slow,
                  "resend_same": self.resend_same, "resend_new": self.resend_new}
        for name, value in shares.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"chaos {name} must be a share between 0 and 1, got {value}")
        if self.rate_limited + self.server_error + self.slow > 1.0:
            raise ValueError("chaos rate_limited + server_error + slow must not exceed 1")
        if self.resend_same + self.resend_new > 1.0:
            raise ValueError("chaos resend_same + resend_new must not exceed 1")
        if self.retry_after < 0 or self.slow_seconds < 0 or self.resend_within < 0.5:
            raise ValueError("chaos retry_after and slow_seconds must be >= 0, resend_within >= 0.5")

    @classmethod
    def from_json(cls, body: dict) -> "ChaosSettings":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(body) - known)
        if unknown:
            raise ValueError(f"unknown chaos settings {unknown}; known: {sorted(known)}")
        try:
            values = {k: (int(v) if k == "seed" else float(v)) for k, v in body.items()}
        except (TypeError, ValueError):
            raise ValueError("chaos settings must be numbers") from None
        return cls(**values)


@dataclass(frozen=True)
class Injected:
    """What a /rest call gets: an error status (with headers) and/or a delay before answering."""

    status: int | None
    delay: float = 0.0
    retry_after: float | None = None

    def body(self) -> dict:
        return {"errorMessages": [_MESSAGES.get(self.status or 0, "Simulated failure.")], "errors": {}}

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        seconds = self.retry_after
        return {"Retry-After": str(int(seconds)) if float(seconds).is_integer() else str(seconds)}


class Chaos:
    def __init__(self, settings: ChaosSettings | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(settings or ChaosSettings())

    def configure(self, settings: ChaosSettings) -> None:
        with self._lock:
            self.settings = settings
            self._calls = random.Random(settings.seed)
            self._webhooks = random.Random(settings.seed + 1)
            self.counts: Counter[str] = Counter()
            self._spared: set[str] = set()

    def spare(self, *issues: str) -> None:
        """Calls naming these issues (keys or ids, as a segment of the path) meet no fault."""
        with self._lock:
            self._spared.update(issues)

    def take(self, path: str = "") -> Injected | None:
        """The fault for the next /rest call (to `path`), if the draw gives one."""
        with self._lock:
            if self._spared and not self._spared.isdisjoint(path.split("/")):
                self.counts["spared"] += 1
                return None
            s = self.settings
            draw = self._calls.random()
            self.counts["calls"] += 1
            if draw < s.rate_limited:
                self.counts["429"] += 1
                return Injected(429, retry_after=s.retry_after)
            if draw < s.rate_limited + s.server_error:
                self.counts["500"] += 1
                return Injected(500)
            if draw < s.rate_limited + s.server_error + s.slow:
                self.counts["slow"] += 1
                return Injected(None, delay=s.slow_seconds)
            return None

    def resend(self) -> tuple[str, float] | None:
        """For a delivery just made: ("same" | "new", seconds from now) when it is to be sent again."""
        with self._lock:
            s = self.settings
            draw = self._webhooks.random()
            kind = "same" if draw < s.resend_same else "new" if draw < s.resend_same + s.resend_new else None
            if kind is None:
                return None
            self.counts[f"resend_{kind}"] += 1
            return kind, self._webhooks.uniform(0.5, s.resend_within)

    def describe(self) -> dict:
        with self._lock:
            return {"settings": asdict(self.settings), "counts": dict(self.counts)}
