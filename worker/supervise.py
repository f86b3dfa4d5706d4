"""Keep one process running: restart it when it exits, whatever the code.

What `psw run` puts around the workers and beat (compose and Kubernetes restart them with their
own policies). The child runs in a process group of its own, and after it exits whatever is left
of the group (a pool child of a worker the watchdog ended) is killed before the next start, so a
restart never leaves orphans. SIGTERM and SIGINT stop the child and the supervisor (the child's
group is killed if it is still running STOP_GRACE seconds later). SIGHUP
restarts the child: SIGTERM to its group (a Celery worker's warm shutdown lets running tasks
finish), then a fresh start at once, with no backoff. The supervisor does it rather than passing
HUP on because Celery handles HUP only on some platforms and only without a terminal (a worker
re-execs itself on Linux, warns and goes on under macOS, and dies of it on a terminal); beat has
no HUP handler at all.

Once the child and its group are gone, and before the next start, the supervisor hands back what
the dead node held (worker/node.py `hand_back`, for `<host>:<child pid>`): the clock queues it
again at its next tick instead of after 30 s.
It knows the node is dead, having reaped it; compose and Kubernetes restart a container without
this, and the lease brings the triages back there.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from worker.settings import ExplicitSettings, Settings

MAX_BACKOFF = 30.0
STEADY = 60.0  # a child that ran this long resets the backoff
# A child asked to stop that is still running this long after (a worker's warm shutdown waiting on
# a long task) is killed with its group: under `psw run` honcho SIGKILLs the supervisor itself 5 s
# after its SIGTERM, and a child in a session of its own would live on unsupervised. Its task is
# handed out again (acks_late, the in-flight marks).
STOP_GRACE = 4.0
# How long the supervisor waits for the dead child's group to be gone (its pool processes, killed
# with it) before it hands the node's triages back: none of them may write a mark after that.
GONE_WAIT = 2.0
# How long a hand back that failed (Redis away) is tried again, once a second: about the lease.
HAND_BACK_PATIENCE = 30.0


class Supervisor:
    def __init__(self, argv: list[str], name: str, out=sys.stderr,
                 on_exit: Callable[[int], int] | None = None):
        """`on_exit(pid)`: called once the child `pid` and its group are gone; returns how many
        tasks it handed back."""
        self.argv, self.name, self.out, self.on_exit = argv, name, out, on_exit
        self.child: subprocess.Popen | None = None
        self.stopping = False
        self.stop_deadline = float("inf")
        self.reloading = False
        self.restarts = 0

    def say(self, line: str) -> None:
        print(f"psw supervise {self.name}: {line}", file=self.out, flush=True)

    def _signal_group(self, sig: int) -> None:
        if self.child is not None:
            try:
                os.killpg(self.child.pid, sig)
            except ProcessLookupError:
                pass

    def _on_stop(self, signum, _frame) -> None:
        if not self.stopping:
            self.stop_deadline = time.monotonic() + STOP_GRACE
        self.stopping = True
        self._signal_group(signal.SIGTERM if signum == signal.SIGINT else signum)

    def _on_hup(self, _signum, _frame) -> None:
        if self.stopping:
            return
        self.reloading = True
        if self.child is not None and self.child.poll() is None:
            self._signal_group(signal.SIGTERM)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)
        backoff = 1.0
        while True:
            started = time.monotonic()
            self.child = subprocess.Popen(self.argv, start_new_session=True)
            code = self._wait()
            self._signal_group(signal.SIGKILL)  # leftovers of the group: never orphans
            self._hand_back(self.child.pid)
            if self.stopping:
                return code if code >= 0 else 0
            if self.reloading:
                self.reloading = False
                self.say(f"SIGHUP: stopped with code {code}; starting afresh")
                continue
            backoff = 1.0 if time.monotonic() - started > STEADY else backoff
            self.restarts += 1
            self.say(f"exited with code {code}; restart {self.restarts} in {backoff:g} s")
            deadline = time.monotonic() + backoff
            while time.monotonic() < deadline and not self.stopping and not self.reloading:
                time.sleep(0.1)
            self.reloading = False
            if self.stopping:
                return 0
            backoff = min(MAX_BACKOFF, backoff * 2)

    def _hand_back(self, pid: int) -> None:
        if self.on_exit is None:
            return
        deadline = time.monotonic() + GONE_WAIT
        while group_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if group_alive(pid):
            self.say(f"process group {pid} still running {GONE_WAIT:g} s after SIGKILL: its tasks wait for their lease")
            return
        try:
            handed = self.on_exit(pid)
        except Exception as exc:  # Redis away (often why the child died): tried again meanwhile
            self.say(f"could not hand back the tasks of pid {pid} ({type(exc).__name__}); trying again "
                     f"for {HAND_BACK_PATIENCE:g} s while the next one starts")
            threading.Thread(target=self._hand_back_later, args=(pid,), name=f"hand back {pid}", daemon=True).start()
            return
        if handed:
            self.say(f"handed back {handed} task(s) pid {pid} held")

    def _hand_back_later(self, pid: int) -> None:
        # The dead node's marks still name it, so a hand back that comes late is as safe as one at
        # once; past the patience their lease and MIN_AGE have brought them back anyway.
        deadline = time.monotonic() + HAND_BACK_PATIENCE
        while time.monotonic() < deadline:
            time.sleep(1.0)
            try:
                handed = self.on_exit(pid)
            except Exception:
                continue
            self.say(f"handed back {handed} task(s) pid {pid} held, once Redis answered")
            return
        self.say(f"could not hand back the tasks of pid {pid}; they wait for their lease")

    def _wait(self) -> int:
        while True:
            try:
                return self.child.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                if self.stopping and time.monotonic() > self.stop_deadline:
                    self.say(f"still running {STOP_GRACE:g} s after SIGTERM: killing its process group")
                    self._signal_group(signal.SIGKILL)
                    self.stop_deadline = float("inf")
            except KeyboardInterrupt:
                continue


def group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs (a zombie waiting for init does not)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                return True
    return False


def hand_back_to(settings: Settings) -> Callable[[int], int]:
    """`on_exit` for a Celery node: what it held handed back in the service's Redis."""
    from worker import clock, node, redis_connect

    client = redis_connect.client(settings, connect_timeout=1, timeout=2)
    return lambda pid: node.hand_back(client, node.name(pid), clock.now())


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    name = "process"
    if args[:1] == ["--name"]:
        name, args = args[1], args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m worker.supervise [--name NAME] -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    if not ExplicitSettings.from_env().redis_url:  # none given: nothing to hand back to
        return Supervisor(args, name).run()
    return Supervisor(args, name, on_exit=hand_back_to(Settings.from_env())).run()


if __name__ == "__main__":
    sys.exit(main())
