"""A small HTTP load generator for loopback benchmarks: closed loop (as fast as it goes) or open
loop (a fixed request rate, latency measured from the scheduled send time so a stalled server
cannot hide its queueing). Bounded in count and time; it stops by itself."""
from __future__ import annotations

import http.client
import multiprocessing as mp
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

# A request factory gets a sequence number and returns (path, body, headers).
RequestFactory = Callable[[int], tuple[str, bytes, dict[str, str]]]


@dataclass
class LoadResult:
    sent: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def merge(self, other: "LoadResult") -> None:
        self.sent += other.sent
        self.errors += other.errors
        for code, n in other.statuses.items():
            self.statuses[code] = self.statuses.get(code, 0) + n
        self.latencies.extend(other.latencies)
        self.elapsed = max(self.elapsed, other.elapsed)

    def summary(self) -> dict:
        return {"requests": self.sent, "errors": self.errors, "per_second": round(self.rate, 1),
                "p50_ms": round(self.percentile(50) * 1000, 2),
                "p99_ms": round(self.percentile(99) * 1000, 2),
                "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2) if self.latencies else None,
                "statuses": dict(sorted(self.statuses.items()))}


def _send(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    # A new connection per request: gunicorn's sync workers close after each response anyway.
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _worker(url: str, factory: RequestFactory, start_seq: int, step: int, deadline: float,
            limit: int, interval: float | None, t0: float, out: LoadResult, lock: threading.Lock):
    parts = urlsplit(url)
    local = LoadResult()
    seq = start_seq
    n = 0
    while n < limit:
        if interval is not None:
            scheduled = t0 + seq * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        else:
            scheduled = time.perf_counter()
        if scheduled > deadline:
            break
        path, body, headers = factory(seq)
        try:
            status = _send(parts.hostname, parts.port, path, body, headers)
            local.statuses[status] = local.statuses.get(status, 0) + 1
            if status >= 400:
                local.errors += 1
        except OSError:
            local.errors += 1
        local.latencies.append(time.perf_counter() - scheduled)
        local.sent += 1
        seq += step
        n += 1
    with lock:
        out.merge(local)


def _process(queue, url, factory, proc_index, procs, threads, duration, total, rate) -> None:
    t0 = time.perf_counter() + 0.2
    deadline = t0 + duration
    interval = (1.0 / rate) if rate else None
    out, lock = LoadResult(), threading.Lock()
    step = procs * threads
    pool = [threading.Thread(target=_worker, args=(url, factory, proc_index * threads + i, step,
                                                   deadline, total // step + 1, interval, t0, out, lock))
            for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.elapsed = min(duration, time.perf_counter() - t0)
    queue.put(out)


def run(url: str, factory: RequestFactory, *, duration: float, total: int, rate: float | None = None,
        processes: int = 2, threads: int = 8) -> LoadResult:
    """Send up to `total` requests for at most `duration` seconds, at `rate` per second if given."""
    # fork, so the factory (often a closure) needs no pickling.
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process, args=(queue, url, factory, i, processes, threads,
                                                duration, total, rate)) for i in range(processes)]
    for p in procs:
        p.start()
    result = LoadResult()
    for _ in procs:
        result.merge(queue.get(timeout=duration + 120))
    for p in procs:
        p.join()
    return result
