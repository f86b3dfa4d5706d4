"""Faults tests switch on: an error status (429 with Retry-After, 500, 503...) and/or a slow
answer, for calls whose method and path match, a number of times or until cleared."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

_MESSAGES = {429: "Rate limit exceeded.", 500: "Internal server error.", 502: "Bad gateway.",
             503: "Service unavailable.", 504: "Gateway timeout."}


@dataclass
class Fault:
    method: str  # "GET", "PUT", ... or "*"
    path_regex: str
    status: int | None  # None: answer normally, only late
    retry_after: float | None = None
    delay: float = 0.0
    times: int | None = 1  # None: every matching call until cleared
    hits: int = 0
    _pattern: re.Pattern = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        try:
            self._pattern = re.compile(self.path_regex)
        except re.error as exc:
            raise ValueError(f"fault path_regex {self.path_regex!r} is not a valid regex: {exc}") from None
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"fault status must be an HTTP error (400-599) or None, got {self.status}")
        if self.delay < 0:
            raise ValueError(f"fault delay must be >= 0 seconds, got {self.delay}")
        if self.times is not None and self.times < 1:
            raise ValueError(f"fault times must be at least 1 (or None for always), got {self.times}")

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method.upper()) and self._pattern.search(path) is not None

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def body(self) -> dict:
        return {"errorMessages": [_MESSAGES.get(self.status or 0, f"Simulated failure {self.status}.")],
                "errors": {}}

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        seconds = self.retry_after
        return {"Retry-After": str(int(seconds)) if float(seconds).is_integer() else str(seconds)}

    def describe(self) -> dict:
        return {"method": self.method, "path_regex": self.path_regex, "status": self.status,
                "retry_after": self.retry_after, "delay": self.delay, "times": self.times,
                "hits": self.hits}


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first live fault matching this call, counted as used."""
        with self._lock:
            for fault in self._faults:
                if not fault.spent and fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
