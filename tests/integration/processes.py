"""Real processes for integration tests: gunicorn serving the web app, and celery workers."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from worker.queues import QUEUE, TIME_QUEUE

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class Service:
    """A child process in its own process group, so a kill reaches its children too."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> "Service":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: no {text!r} in {timeout}s:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def wait_for_http(self, url: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(url, timeout=2)
                return
            # A server still importing under load accepts the connection and answers late.
            except (requests.ConnectionError, requests.Timeout):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not answering at {url}:\n{self.log()[-3000:]}")
                time.sleep(0.1)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()


def web(env: dict[str, str], port: int, log_dir: Path) -> Service:
    argv = [str(BIN / "gunicorn"), "--config", "python:app.gunicorn_conf", "app:create_app()"]
    service = Service("web", argv, {**env, "PORT": str(port), "WEB_CONCURRENCY": "1"},
                      log_dir / "web.log").start()
    service.wait_for_http(f"http://127.0.0.1:{port}/healthz")
    return service


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a supervisor's child, a worker's pool)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def worker(env: dict[str, str], log_dir: Path, name: str = "worker", concurrency: int = 1,
           queue: str = QUEUE, supervised: bool = False) -> Service:
    """`supervised`: inside `python -m worker.supervise`, as `psw run` starts it (the Service's
    process is then the supervisor, the node's main process its child)."""
    argv = [str(BIN / "celery"), "--app", "worker.celery_main", "worker", "--loglevel=INFO",
            f"--queues={queue}", f"--concurrency={concurrency}", f"--hostname={name}@%h",
            "--without-gossip", "--without-mingle"]
    if supervised:
        argv = [sys.executable, "-m", "worker.supervise", "--name", name, "--", *argv]
    service = Service(name, argv, env, log_dir / f"{name}.log").start()
    service.wait_for_log("ready.", timeout=60)
    return service


def time_worker(env: dict[str, str], log_dir: Path, name: str = "worker-time", concurrency: int = 1) -> Service:
    """The time lane's worker (the Procfile's `worker-time`): reminder firings only."""
    return worker(env, log_dir, name=name, concurrency=concurrency, queue=TIME_QUEUE)


def beat(env: dict[str, str], log_dir: Path, name: str = "beat") -> Service:
    """Beat, with its clock loop (worker/timekeeper.py) running once it logs its first line."""
    argv = [str(BIN / "celery"), "--app", "worker.celery_main", "beat", "--loglevel=INFO",
            f"--schedule={log_dir / name}-schedule"]
    service = Service(name, argv, env, log_dir / f"{name}.log").start()
    service.wait_for_log("clock: dispatching", timeout=30)
    return service
