"""The run file of a running `psw run`: who holds the var directory, and where its Redis and Jira are.

`psw run` holds an exclusive flock on `<PSW_VAR_DIR>/run.lock` for as long as it runs and writes
`<PSW_VAR_DIR>/run.json` (pid, Redis URL, Jira URL, ports). A second `psw run` on the same
directory finds the lock held and refuses before it touches anything; `psw` commands in another
terminal read run.json to find the run's Redis and Jira when REDIS_URL and JIRA_URL are unset.
The lock, not the pid, says whether the run is alive: a flock ends with the process that held
it (even on SIGKILL), a pid can be reused.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

LOCK_NAME = "run.lock"
FILE_NAME = "run.json"
# What `psw run` gives the bundled simulator (it accepts any credentials): not secrets.
SIMULATOR_CREDENTIALS = {"JIRA_DEPLOYMENT": "cloud", "JIRA_EMAIL": "psw@example.com",
                         "JIRA_API_TOKEN": "psw-simulator-token"}


class AlreadyRunning(RuntimeError):
    """Another `psw run` holds the directory; `info` is its run file (may be empty if unreadable)."""

    def __init__(self, var_dir: Path, info: dict):
        self.var_dir, self.info = var_dir, info
        what = f"pid {info['pid']}" if info.get("pid") else "pid unknown"
        if info.get("web_url"):
            what += f", web on {info['web_url']}"
        super().__init__(f"another psw run ({what}) holds {var_dir / LOCK_NAME}: stop it first "
                         "(or give a second one its own PSW_VAR_DIR and ports)")


def _read(var_dir: Path) -> dict:
    try:
        info = json.loads((var_dir / FILE_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


class RunLock:
    """Held by `psw run` from its first step to its last."""

    def __init__(self, var_dir: Path, fd: int):
        self.var_dir, self._fd = var_dir, fd

    @classmethod
    def acquire(cls, var_dir: Path) -> "RunLock":
        """Take the directory, or raise AlreadyRunning at once (never waits)."""
        var_dir = Path(var_dir)
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(var_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited (PEP 446)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(var_dir, _read(var_dir)) from None
        return cls(var_dir, fd)

    def write(self, info: dict) -> Path:
        """run.json, whole or not at all (a reader never sees half), readable by the owner only:
        a REDIS_URL may carry a password."""
        path = self.var_dir / FILE_NAME
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"pid": os.getpid(), **info}, out, indent=2, sort_keys=True)
        os.replace(tmp, path)
        return path

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            (self.var_dir / FILE_NAME).unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def running(var_dir: Path) -> dict | None:
    """The run file of the `psw run` that holds `var_dir` now, or None when none does (a run file
    left by a run that died is ignored)."""
    var_dir = Path(var_dir)
    try:
        fd = os.open(var_dir / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read(var_dir)  # held: a run is alive
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
