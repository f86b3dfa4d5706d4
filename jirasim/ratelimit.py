"""A site-wide rate limit as Jira Cloud applies one: a token bucket over every /rest call of the
site, whoever makes it; a call that finds the bucket empty is answered 429 with Retry-After (whole
seconds until the next token, at least 1, as Cloud sends) and costs nothing. Off until set
(`--rate-limit`, `POST /_sim/rate-limit`). Counts what it refused, for the benchmarks."""
from __future__ import annotations

import math
import threading
import time


class RateLimit:
    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.configure(0.0, 0)

    def configure(self, per_second: float, burst: int) -> None:
        """`per_second` calls on average, `burst` at once at most; 0 switches the limit off."""
        if per_second < 0 or burst < 0 or (per_second > 0 and burst < 1):
            raise ValueError("a rate limit needs per_second >= 0 and, when on, a burst of at least 1")
        with self._lock:
            self.per_second, self.burst = float(per_second), int(burst)
            self._tokens, self._at = float(burst), self._clock()
            self.allowed = self.refused = 0

    def take(self) -> float | None:
        """None when the call may go ahead, else the Retry-After to answer with."""
        with self._lock:
            if not self.per_second:
                return None
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                self.allowed += 1
                return None
            self.refused += 1
            return max(1.0, math.ceil((1 - self._tokens) / self.per_second))

    def describe(self) -> dict:
        with self._lock:
            return {"per_second": self.per_second, "burst": self.burst, "allowed": self.allowed,
                    "refused": self.refused}
