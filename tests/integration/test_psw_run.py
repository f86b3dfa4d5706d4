"""`psw run` as an operator meets it: one run per directory, `psw` commands that find it, SIGHUP.

Each test starts a real `psw run` (embedded Redis on a free port, the simulator, web, worker,
beat, Flower) in a directory and on ports of its own.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.integration import processes
from worker import runfile
from worker.embedded_redis import free_port

pytestmark = pytest.mark.integration

PSW = str(processes.BIN / "psw")


def clean_env(var_dir: Path, **extra) -> dict[str, str]:
    """The environment of a shell with nothing set: no Redis, no Jira, no secret."""
    drop = ("REDIS_URL", "TEST_REDIS_URL", "JIRA_", "WEBHOOK_SECRET", "PROMETHEUS_MULTIPROC_DIR", "MAPPING_CONFIG",
            "ADMIN_TOKEN", "PORT", "FLOWER_", "EMBEDDED_REDIS_PORT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, "PSW_VAR_DIR": str(var_dir), **extra}


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Run:
    def __init__(self, tmp_path: Path):
        self.var_dir = tmp_path / "var"
        self.ports = {name: str(free_port()) for name in
                      ("PORT", "FLOWER_PORT", "JIRA_SIM_PORT", "EMBEDDED_REDIS_PORT")}
        self.env = clean_env(self.var_dir, **self.ports, WORKER_CONCURRENCY="1")
        self.log_path = tmp_path / "run.log"
        self.web = f"http://127.0.0.1:{self.ports['PORT']}"

    def start(self) -> "Run":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([PSW, "run"], env=self.env, cwd=processes.ROOT, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"psw run exited {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                if requests.get(self.web + "/readyz", timeout=1).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):  # a server still starting answers late
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"psw run not ready in 90 s:\n{self.log()[-3000:]}")
            time.sleep(0.3)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def psw(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([PSW, *args], env=env or clean_env(self.var_dir), cwd=processes.ROOT,
                              capture_output=True, text=True, timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


@pytest.fixture
def run(tmp_path):
    service = Run(tmp_path).start()
    yield service
    service.stop()


def psw_series(web: str) -> set[str]:
    text = requests.get(web + "/metrics", timeout=5).text
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line.startswith("psw_")}


@pytest.mark.timeout(240)
def test_a_second_run_refuses_at_once_and_leaves_the_first_untouched(run, tmp_path):
    assert run.psw("sim", "request").returncode == 0  # a webhook to the web, a triage in the worker
    deadline = time.monotonic() + 60
    while not {"psw_webhooks_total", "psw_tasks_total"} <= psw_series(run.web):  # samples from var/metrics
        assert time.monotonic() < deadline, psw_series(run.web)
        time.sleep(0.5)
    before = {p.name: p.stat().st_mtime_ns for p in (run.var_dir / "metrics").iterdir()}
    run_file = (run.var_dir / "run.json").read_text()

    started = time.monotonic()
    second = subprocess.run([PSW, "run"], env=run.env, cwd=processes.ROOT, capture_output=True, text=True, timeout=30)
    took = time.monotonic() - started

    assert second.returncode == 3, second
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and f"another psw run (pid {run.process.pid}" in lines[0], second.stderr
    assert "started embedded Redis" not in second.stdout + second.stderr
    # At once: no longer than the CLI takes to start at all (imports dominate on a busy machine).
    started = time.monotonic()
    subprocess.run([PSW, "run", "--help"], env=run.env, cwd=processes.ROOT, capture_output=True, timeout=30)
    startup = time.monotonic() - started
    assert took < startup + 2, f"refused only after {took:.1f} s (the CLI starts in {startup:.1f} s)"
    assert (run.var_dir / "run.json").read_text() == run_file
    after = {p.name for p in (run.var_dir / "metrics").iterdir()}
    assert set(before) <= after  # not a file of the first run's metrics deleted
    assert {"psw_webhooks_total", "psw_tasks_total"} <= psw_series(run.web)
    assert requests.get(run.web + "/readyz", timeout=5).status_code == 200

    # Elsewhere (its own directory) but on the first one's ports: refused before it starts anything.
    elsewhere = {**run.env, "PSW_VAR_DIR": str(tmp_path / "other")}
    third = subprocess.run([PSW, "run"], env=elsewhere, cwd=processes.ROOT, capture_output=True, text=True, timeout=30)
    assert third.returncode == 3, third
    assert f"port {run.ports['PORT']} for web (PORT) is already in use" in third.stderr
    assert not (tmp_path / "other" / "metrics").exists() and not (tmp_path / "other" / "redis").exists()
    assert run.process.poll() is None and requests.get(run.web + "/readyz", timeout=5).status_code == 200


@pytest.mark.timeout(240)
def test_psw_commands_in_another_terminal_use_the_runs_redis_and_jira(run):
    info = json.loads((run.var_dir / "run.json").read_text())
    assert info["pid"] == run.process.pid
    assert info["redis_url"] == f"redis://127.0.0.1:{run.ports['EMBEDDED_REDIS_PORT']}/0"
    assert info["jira_url"] == f"http://127.0.0.1:{run.ports['JIRA_SIM_PORT']}" and info["jira_simulator"]

    created = run.psw("sim", "request", "--severity", "L1")  # the run's simulator, not :8081
    assert created.returncode == 0, created
    key = created.stdout.split()[1]
    deadline = time.monotonic() + 60
    while True:
        audit = run.psw("audit", key)
        if "triage" in audit.stdout:
            break
        assert time.monotonic() < deadline, audit
        time.sleep(0.5)
    assert audit.returncode == 0
    assert f"Redis at 127.0.0.1:{run.ports['EMBEDDED_REDIS_PORT']} (the running psw run, pid {run.process.pid}" \
        in audit.stderr
    health = run.psw("health")
    assert health.returncode == 0, health
    fields = run.psw("jira", "fields")
    assert fields.returncode == 0, fields
    assert f"Jira at {info['jira_url']} (the bundled simulator of the running psw run" in fields.stderr

    # Set explicitly, REDIS_URL wins, and the command says so.
    elsewhere = run.psw("audit", key, env={**clean_env(run.var_dir), "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert elsewhere.returncode == 1 and "(REDIS_URL)" in elsewhere.stderr
    assert "127.0.0.1:1" in elsewhere.stderr


@pytest.mark.timeout(240)
@pytest.mark.parametrize("to", ["process", "group"])
def test_sighup_stops_the_whole_tree_cleanly(tmp_path, to):
    """SIGHUP to `psw run` (or to its process group, as a closed terminal sends it) stops web,
    worker, beat, Flower, the simulator and the embedded Redis, and frees the directory."""
    run = Run(tmp_path).start()
    try:
        tree = descendants(run.process.pid)
        assert len(tree) >= 10, tree  # honcho's helpers, shells, gunicorn, supervisors, celery, redis
        if to == "group":
            os.killpg(run.process.pid, signal.SIGHUP)
        else:
            os.kill(run.process.pid, signal.SIGHUP)
        code = run.process.wait(60)
        assert code == 128 + signal.SIGHUP, run.log()[-3000:]
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in tree) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [pid for pid in tree if alive(pid)]
        assert not left, [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in left if alive(pid)]
        assert "SIGHUP received: stopping every process" in run.log()
        assert not (run.var_dir / "run.json").exists()
        assert runfile.running(run.var_dir) is None
        runfile.RunLock.acquire(run.var_dir).release()  # free for the next run
    finally:
        run.stop()


def test_an_embedded_redis_on_a_taken_port_fails_rather_than_pass_for_the_other(tmp_path):
    from worker.embedded_redis import EmbeddedRedis

    first = EmbeddedRedis(tmp_path / "first").start()
    try:
        with pytest.raises(RuntimeError, match=f"did not start on port {first.port}"):
            EmbeddedRedis(tmp_path / "second", port=first.port).start()
        assert first.process.poll() is None
    finally:
        first.stop()
