"""Which Celery node a process works for: `<host>:<pid of the node's main process>`.

A running triage names its node on its in-flight mark (worker/inflight.py), so that whoever sees
that node's main process die, its supervisor (worker/supervise.py), can hand the node's triages
back at once instead of waiting out their lease. A pid names one live process on its host, and the
supervisor has reaped the one it names before it hands anything back: a live node's marks are
never handed back.

The pool's processes run the tasks; they are forks of the main process, so its pid is their
parent's. A process outside a worker (a test calling a task, the web) names itself.
"""
from __future__ import annotations

import os
import socket

from celery.signals import worker_init, worker_process_init

_current: str | None = None


def name(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}"


def current() -> str:
    return _current or name(os.getpid())


@worker_init.connect
def _main_process(**_) -> None:
    global _current
    _current = name(os.getpid())


@worker_process_init.connect
def _pool_process(**_) -> None:
    global _current
    _current = name(os.getppid())
