"""Which Redis and Jira a `psw` command talks to, said on stderr.

Set explicitly (REDIS_URL, JIRA_URL): those. Otherwise, when a `psw run` holds this directory's
PSW_VAR_DIR, its Redis and Jira (from its run file, worker/runfile.py): a second terminal next to
`make run` then reads the embedded Redis and the simulator, not whatever answers on
127.0.0.1:6379. Otherwise the defaults, said as such.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import click

from worker import runfile
from worker.settings import ExplicitSettings, var_dir as var_dir_of

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def host_port(url: str) -> str:
    # host:port only: a Redis URL may carry a password.
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}"


def command_env(*, redis: bool = False, jira: bool = False, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a command that uses Redis and/or Jira, with a running `psw run`'s
    filled in where the caller set none; one line on stderr for each, naming where it came from."""
    env = dict(os.environ if env is None else env)
    given, var_dir = ExplicitSettings.from_env(env), var_dir_of(env)
    run = runfile.running(var_dir)
    of_run = f"the running psw run, pid {run.get('pid')}, {var_dir / runfile.FILE_NAME}" if run else ""
    if redis:
        if given.redis_url:
            source = "REDIS_URL"
        elif run and run.get("redis_url"):
            env["REDIS_URL"], source = run["redis_url"], of_run
        else:
            env["REDIS_URL"] = DEFAULT_REDIS_URL
            source = "default: REDIS_URL is unset and no psw run holds " + str(var_dir)
        _say(f"Redis at {host_port(env['REDIS_URL'])} ({source})")
    if jira:
        if given.jira_url:
            _say(f"Jira at {given.jira_url} (JIRA_URL)")
        elif run and run.get("jira_url"):
            env["JIRA_URL"] = run["jira_url"]
            if run.get("jira_simulator"):
                for name, value in runfile.SIMULATOR_CREDENTIALS.items():
                    env.setdefault(name, value)
                _say(f"Jira at {run['jira_url']} (the bundled simulator of {of_run})")
            else:
                for name, key in (("JIRA_DEPLOYMENT", "jira_deployment"), ("JIRA_EMAIL", "jira_email")):
                    if run.get(key):
                        env.setdefault(name, run[key])
                _say(f"Jira at {run['jira_url']} ({of_run}; its credentials come from this shell's JIRA_*)")
        else:
            _say(f"no Jira: JIRA_URL is unset and no psw run holds {var_dir}")
    return env


def simulator_url(default: str, env: dict[str, str] | None = None) -> str:
    """The bundled simulator's URL: JIRA_SIM_URL, else the running `psw run`'s, else `default`."""
    given = ExplicitSettings.from_env(env)
    if given.simulator_url:
        return given.simulator_url
    run = runfile.running(var_dir_of(env))
    if run and run.get("jira_simulator") and run.get("jira_url"):
        return run["jira_url"]
    return default


def _say(line: str) -> None:
    click.echo(f"psw: {line}", err=True)
