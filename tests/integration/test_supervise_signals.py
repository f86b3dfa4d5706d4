"""worker/supervise.py and signals: SIGHUP restarts the child at once, SIGTERM stops both.

The child stands in for a Celery worker or beat: it records its pid and how it ended."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import os, signal, sys, time
out = sys.argv[1]
def ended(signum, _frame):
    open(out, "a").write(f"{os.getpid()} ended by {signum}\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, ended)
open(out, "a").write(f"{os.getpid()} started\\n")
while True:
    time.sleep(0.1)
"""


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def supervise(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    script, out = tmp_path / "child.py", tmp_path / "child.log"
    script.write_text(CHILD)
    supervisor = subprocess.Popen([sys.executable, "-m", "worker.supervise", "--name", "beat", "--",
                                   sys.executable, str(script), str(out)],
                                  cwd=Path(__file__).resolve().parents[2], stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(lines(out)) == 1)
    return supervisor, out


def test_sighup_restarts_the_child_at_once_and_the_supervisor_goes_on(tmp_path):
    supervisor, out = supervise(tmp_path)
    try:
        first = lines(out)[0].split()[0]
        sent = time.monotonic()
        supervisor.send_signal(signal.SIGHUP)
        wait_for(lambda: len(lines(out)) == 3)
        took = time.monotonic() - sent
        assert lines(out)[1] == f"{first} ended by {int(signal.SIGTERM)}"  # asked to stop, warm
        second = lines(out)[2].split()[0]
        assert lines(out)[2].endswith("started") and second != first
        assert took < 0.9, f"restart took {took:.2f} s: a backoff, not a reload"  # first backoff is 1 s
        assert supervisor.poll() is None
    finally:
        supervisor.send_signal(signal.SIGTERM)
        code = supervisor.wait(10)
    assert code == 0
    assert lines(out)[-1].endswith(f"ended by {int(signal.SIGTERM)}")
    assert "SIGHUP: stopped with code 0; starting afresh" in supervisor.stderr.read()


def test_sigterm_stops_child_and_supervisor(tmp_path):
    supervisor, out = supervise(tmp_path)
    child = int(lines(out)[0].split()[0])
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(10) == 0
    assert lines(out)[-1] == f"{child} ended by {int(signal.SIGTERM)}"
    try:
        os.kill(child, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError(f"child {child} still running")


def test_a_child_that_outlives_the_stop_grace_is_killed_with_its_group(tmp_path):
    """Under `psw run` honcho SIGKILLs the supervisor 5 s after SIGTERM; a worker still in its warm
    shutdown then must not live on, unsupervised, in a session of its own."""
    from worker.supervise import STOP_GRACE

    script, out = tmp_path / "stubborn.py", tmp_path / "child.log"
    script.write_text("import os, signal, sys, time\n"
                      "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                      "open(sys.argv[1], 'a').write(f'{os.getpid()} started\\n')\n"
                      "while True:\n    time.sleep(0.1)\n")
    supervisor = subprocess.Popen([sys.executable, "-m", "worker.supervise", "--name", "worker", "--",
                                   sys.executable, str(script), str(out)],
                                  cwd=Path(__file__).resolve().parents[2], stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(lines(out)) == 1)
    child = int(lines(out)[0].split()[0])
    sent = time.monotonic()
    supervisor.send_signal(signal.SIGTERM)
    supervisor.wait(STOP_GRACE + 5)
    took = time.monotonic() - sent
    assert STOP_GRACE - 0.5 < took < 5.0, took  # before honcho's SIGKILL of the supervisor
    wait_for(lambda: not Path(f"/proc/{child}").exists() or
             Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z", timeout=3)
    assert "killing its process group" in supervisor.stderr.read()


POOL = """
import os, subprocess, sys
pool = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
open(sys.argv[1], "a").write(f"{os.getpid()} {pool.pid}\\n")
sys.exit(3)
"""


def test_a_dead_childs_triages_are_handed_back_once_its_group_is_gone_and_redis_away_only_delays_them(
        tmp_path, monkeypatch):
    """The child stands in for a Celery node's main process that dies and leaves a pool process."""
    from worker.supervise import Supervisor, group_alive

    monkeypatch.setattr(signal, "signal", lambda *_: None)  # the test's process keeps its handlers
    script, pools = tmp_path / "node.py", tmp_path / "pools"
    script.write_text(POOL)
    calls = []

    def on_exit(pid: int) -> int:
        pool = dict(line.split() for line in lines(pools))[str(pid)]
        stat = Path(f"/proc/{pool}/stat")
        calls.append((pid, group_alive(pid), stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] not in "ZX"))
        if pid == calls[0][0] and len([c for c in calls if c[0] == pid]) <= 2:
            raise ConnectionError("Redis away")  # at its death and at the first retry, a second later
        if pid != calls[0][0]:
            supervisor.stopping = True
        return 2

    out = io.StringIO()
    supervisor = Supervisor([sys.executable, str(script), str(pools)], "worker", out=out, on_exit=on_exit)
    assert supervisor.run() == 3
    wait_for(lambda: "once Redis answered" in out.getvalue())
    first, last = calls[0][0], supervisor.child.pid
    assert sorted(pid for pid, _, _ in calls) == sorted([first] * 3 + [last]) and first != last
    assert all(not alive and not pool_runs for _, alive, pool_runs in calls), calls  # each group gone first
    said = out.getvalue()
    assert f"could not hand back the tasks of pid {first} (ConnectionError); trying again for 30 s" in said
    assert "restart 1 in 1 s" in said  # Redis away did not hold the restart up
    assert f"handed back 2 task(s) pid {first} held, once Redis answered" in said
    assert f"handed back 2 task(s) pid {last} held\n" in said
