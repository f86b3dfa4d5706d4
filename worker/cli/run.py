"""`psw run`: the whole service on one machine (what `make run` calls).

Starts web (gunicorn), worker, worker-time, beat and Flower from the Procfile under honcho. Fills in what a
laptop lacks: an embedded Redis when REDIS_URL is unset, the bundled Jira simulator when no Jira
site is configured, and a generated webhook secret when none is set.
"""
from __future__ import annotations

import os
import secrets
import shlex
import shutil
import sys
from pathlib import Path

import click

from worker.embedded_redis import EmbeddedRedis
from worker.settings import Settings, SettingsError

SIM_PORT_DEFAULT = "8081"
# Restarted whenever they exit (worker/supervise.py): a worker ends itself when its broker is gone
# for good or its consumer loop hangs, and must come back without a person; `worker-time` fires
# the reminders (the time lane, worker/queues.py), beat runs the clock that queues them. gunicorn
# restarts its own workers; Flower and the simulator are conveniences.
SUPERVISED = ("worker", "worker-time", "beat")


def _secret(var_dir: Path) -> Path:
    path = var_dir / "webhook-secret"
    if not path.exists():
        path.write_text(secrets.token_hex(32) + "\n")
        path.chmod(0o600)
    return path


def _procfile(root: Path) -> dict[str, str]:
    from honcho.environ import parse_procfile

    return dict(parse_procfile((root / "Procfile").read_text()).processes)


@click.command("run")
@click.option("--without", multiple=True, help="Procfile entries not to start (e.g. flower).")
def command(without: tuple[str, ...]) -> None:
    """Run web, worker, worker-time, beat and Flower, with what a laptop lacks filled in."""
    from honcho.manager import Manager

    root = Path.cwd()
    env = dict(os.environ)
    var_dir = Path(env.setdefault("PSW_VAR_DIR", str(root / "var")))
    var_dir.mkdir(parents=True, exist_ok=True)
    say = lambda line: click.echo(f"psw run: {line}")  # noqa: E731

    if not env.get("WEBHOOK_SECRET") and env.get("ALLOW_UNSIGNED_WEBHOOKS") != "1":
        path = _secret(var_dir)
        env["WEBHOOK_SECRET"] = path.read_text().strip()
        say(f"no WEBHOOK_SECRET set: using the generated one in {path}")

    metrics_dir = var_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

    embedded = None
    if not env.get("REDIS_URL"):
        embedded = EmbeddedRedis(var_dir / "redis", port=int(env.get("EMBEDDED_REDIS_PORT", "6390")))
        embedded.start()
        env["REDIS_URL"] = embedded.url
        say(f"no REDIS_URL set: started embedded Redis at {embedded.url} (data in {embedded.data_dir})")

    manager = Manager()
    port = env.setdefault("PORT", "8000")
    if not env.get("JIRA_URL"):
        sim_port = env.get("JIRA_SIM_PORT", SIM_PORT_DEFAULT)
        env.update(JIRA_URL=f"http://127.0.0.1:{sim_port}", JIRA_DEPLOYMENT="cloud",
                   JIRA_EMAIL="psw@example.com", JIRA_API_TOKEN="simulator")
        say(f"no JIRA_URL set: started the bundled Jira simulator at {env['JIRA_URL']}")
        signing = ""
        if env.get("WEBHOOK_SECRET"):
            # A file, not an argument: arguments show in `ps`.
            secret_file = var_dir / "simulator-webhook-secret"
            secret_file.write_text(env["WEBHOOK_SECRET"])
            secret_file.chmod(0o600)
            signing = f" --secret-file {secret_file}"
        manager.add_process(
            "jira-sim",
            f"{sys.executable} -m jirasim --host 127.0.0.1 --port {sim_port} "
            f"--webhook-url http://127.0.0.1:{port}/webhooks/jira{signing}",
            env=env,
        )
    try:
        Settings.from_env(env)
    except SettingsError as exc:
        if embedded:
            embedded.stop()
        raise click.ClickException(str(exc)) from None

    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    for name, cmd in _procfile(root).items():
        if name in without:
            continue
        if name in SUPERVISED:
            cmd = f"{shlex.quote(sys.executable)} -m worker.supervise --name {name} -- /bin/sh -c {shlex.quote('exec ' + cmd)}"
        manager.add_process(name, cmd, env=env)
    say(f"web on http://127.0.0.1:{port}  (Flower on http://127.0.0.1:{env.get('FLOWER_PORT', '5555')})")
    try:
        manager.loop()
    finally:
        if embedded:
            embedded.stop()
    sys.exit(manager.returncode)
