"""The run lock and run file (worker/runfile.py), and how `psw` commands pick their Redis and Jira."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from worker import runfile
from worker.cli import audit
from worker.cli.where import command_env, simulator_url


def test_one_holder_at_a_time_and_the_second_learns_who(tmp_path):
    first = runfile.RunLock.acquire(tmp_path)
    first.write({"web_url": "http://127.0.0.1:8000", "redis_url": "redis://127.0.0.1:6390/0"})
    with pytest.raises(runfile.AlreadyRunning, match=r"another psw run \(pid \d+, web on http://127.0.0.1:8000\)"):
        runfile.RunLock.acquire(tmp_path)
    assert runfile.running(tmp_path)["redis_url"] == "redis://127.0.0.1:6390/0"
    assert (tmp_path / "run.json").stat().st_mode & 0o077 == 0  # a REDIS_URL may carry a password
    first.release()
    assert runfile.running(tmp_path) is None and not (tmp_path / "run.json").exists()
    runfile.RunLock.acquire(tmp_path).release()


def test_a_run_file_left_by_a_dead_run_is_ignored(tmp_path):
    (tmp_path / "run.lock").touch()
    (tmp_path / "run.json").write_text(json.dumps({"pid": 1, "redis_url": "redis://127.0.0.1:1/0"}))
    assert runfile.running(tmp_path) is None
    env = command_env(redis=True, env={"PSW_VAR_DIR": str(tmp_path)})
    assert env["REDIS_URL"] == "redis://127.0.0.1:6379/0"


def test_commands_take_the_running_runs_redis_and_simulator_unless_set(tmp_path, capsys):
    lock = runfile.RunLock.acquire(tmp_path)
    try:
        lock.write({"redis_url": "redis://127.0.0.1:6390/0", "jira_url": "http://127.0.0.1:8181",
                    "jira_simulator": True})
        env = command_env(redis=True, jira=True, env={"PSW_VAR_DIR": str(tmp_path)})
        assert env["REDIS_URL"] == "redis://127.0.0.1:6390/0" and env["JIRA_URL"] == "http://127.0.0.1:8181"
        assert env["JIRA_API_TOKEN"] == runfile.SIMULATOR_CREDENTIALS["JIRA_API_TOKEN"]
        err = capsys.readouterr().err
        assert "psw: Redis at 127.0.0.1:6390 (the running psw run, pid" in err
        assert "psw: Jira at http://127.0.0.1:8181 (the bundled simulator of the running psw run" in err
        mine = command_env(redis=True, env={"PSW_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://:pw@mine:7000/1"})
        assert mine["REDIS_URL"] == "redis://:pw@mine:7000/1"
        err = capsys.readouterr().err
        assert "Redis at mine:7000 (REDIS_URL)" in err and "pw" not in err.replace("psw", "")
        assert simulator_url("http://127.0.0.1:8081", {"PSW_VAR_DIR": str(tmp_path)}) == "http://127.0.0.1:8181"
    finally:
        lock.release()
    assert simulator_url("http://127.0.0.1:8081", {"PSW_VAR_DIR": str(tmp_path)}) == "http://127.0.0.1:8081"


def test_audit_reads_the_running_runs_redis(tmp_path, redis_url, redis_client, monkeypatch):
    from worker.audit import AuditTrail

    AuditTrail(redis_client).record("PS-77", "triage", outcome="written", delivery="d-77")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("PSW_VAR_DIR", str(tmp_path))
    lock = runfile.RunLock.acquire(tmp_path)
    try:
        lock.write({"redis_url": redis_url})
        result = CliRunner().invoke(audit.command, ["PS-77"])
    finally:
        lock.release()
    assert result.exit_code == 0, result.output
    assert "written" in result.stdout and "the running psw run" in result.stderr


def test_psw_runs_printer_masks_what_processes_print_outside_logging(capsys):
    import datetime

    from honcho.printer import Message

    from worker.cli.run import masking_printer

    printer = masking_printer(["generated-webhook-secret-0123456789"])
    printer.write(Message(type="line", name="web", colour=None, time=datetime.datetime.now(),
                          data=b"Traceback: ValueError('generated-webhook-secret-0123456789') at /x?token=abc\n"))
    out = capsys.readouterr().out
    assert "web | Traceback: ValueError('***') at /x?token=***" in out
    assert "generated-webhook-secret" not in out
