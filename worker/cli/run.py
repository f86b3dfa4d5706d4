"""`psw run`: the whole service on one machine (what `make run` calls).

Starts web (gunicorn), worker, worker-time, beat and Flower from the Procfile under honcho. Fills in what a
laptop lacks: an embedded Redis when REDIS_URL is unset, the bundled Jira simulator when no Jira
site is configured, and a generated webhook secret when none is set.

One run per var directory: it holds `var/run.lock` from its first step and writes `var/run.json`
(worker/runfile.py), so a second `psw run` refuses at once (exit 3) without touching the first,
and `psw` commands in another terminal find this run's Redis and Jira. A port another program
holds is refused the same way before anything starts. SIGHUP (the terminal closed) stops every
process, as SIGTERM and Ctrl-C do (README "Signals").
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import signal
import socket
import sys
from pathlib import Path

import click

from worker import runfile
from worker.embedded_redis import EmbeddedRedis
from worker.settings import ExplicitSettings, RunSettings, Settings, SettingsError, log_secrets, var_dir as var_dir_of

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


REFUSED = 3  # exit code: another run holds the directory, or a port is taken


def _taken(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a TIME_WAIT is not a holder
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _refuse(line: str):
    click.echo(f"psw run: {line}", err=True)
    sys.exit(REFUSED)


def _on_hangup(manager, say):
    main = os.getpid()

    def handler(_signum, _frame):
        # honcho's per-process helpers are forks of this process and inherit this handler; the
        # manager (here) stops their children, they just wait for them to end.
        if os.getpid() != main:
            return
        say("SIGHUP received: stopping every process (as SIGTERM)")
        manager.returncode = 128 + signal.SIGHUP
        manager.terminate()

    return handler


def masking_printer(secrets: list[str]):
    """honcho's printer, masking each line as worker/logsafe.py masks log records: under `psw run`
    this also covers what a process prints outside logging (a traceback the interpreter writes)."""
    from honcho.printer import Printer

    from worker.logsafe import Redactor

    class MaskingPrinter(Printer):
        redact = Redactor(secrets)

        def write(self, message):
            data = message.data.decode("utf-8", "replace") if isinstance(message.data, bytes) else message.data
            super().write(message._replace(data=self.redact(data)))

    return MaskingPrinter(sys.stdout)


def _procfile(root: Path) -> dict[str, str]:
    from honcho.environ import parse_procfile

    return dict(parse_procfile((root / "Procfile").read_text()).processes)


@click.command("run")
@click.option("--without", multiple=True, help="Procfile entries not to start (e.g. flower).")
def command(without: tuple[str, ...]) -> None:
    """Run web, worker, worker-time, beat and Flower, with what a laptop lacks filled in."""
    root = Path.cwd()
    env = dict(os.environ)  # the processes' environment, with what a laptop lacks filled in below
    var_dir = root / var_dir_of(env)
    env.setdefault("PSW_VAR_DIR", str(var_dir))
    say = lambda line: click.echo(f"psw run: {line}")  # noqa: E731
    # A hangup while starting ends the start; the cleanup below still stops what has started.
    signal.signal(signal.SIGHUP, lambda _signum, _frame: sys.exit(128 + signal.SIGHUP))
    try:
        lock = runfile.RunLock.acquire(var_dir)  # before anything of a first run can be touched
    except runfile.AlreadyRunning as exc:
        _refuse(str(exc))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(lock.release)
        _run(root, env, var_dir, lock, without, say, cleanup)


def _run(root: Path, env: dict[str, str], var_dir: Path, lock: runfile.RunLock, without: tuple[str, ...],
         say, cleanup: contextlib.ExitStack) -> None:
    from honcho.manager import Manager

    try:
        ports, given = RunSettings.from_env(env), ExplicitSettings.from_env(env)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    port, sim_port = env.setdefault("PORT", str(ports.web_port)), ports.simulator_port
    wanted = {"web (PORT)": ports.web_port}
    if "flower" not in without:
        wanted["Flower (FLOWER_PORT)"] = ports.flower_port
    if not given.jira_url:
        wanted["the Jira simulator (JIRA_SIM_PORT)"] = sim_port
    if not given.redis_url:
        wanted["the embedded Redis (EMBEDDED_REDIS_PORT)"] = ports.embedded_redis_port
    for what, number in wanted.items():
        if _taken(number):
            _refuse(f"port {number} for {what} is already in use by another program: stop it or choose another port")

    if not env.get("WEBHOOK_SECRET") and env.get("ALLOW_UNSIGNED_WEBHOOKS") != "1":
        path = _secret(var_dir)
        env["WEBHOOK_SECRET"] = path.read_text().strip()
        say(f"no WEBHOOK_SECRET set: using the generated one in {path}")

    metrics_dir = var_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

    embedded = None
    if not given.redis_url:
        embedded = EmbeddedRedis(var_dir / "redis", port=ports.embedded_redis_port, own_session=True)
        try:
            embedded.start()
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
        cleanup.callback(embedded.stop)  # last, after every process that uses it has stopped
        env["REDIS_URL"] = embedded.url
        say(f"no REDIS_URL set: started embedded Redis at {embedded.url} (data in {embedded.data_dir})")

    manager = Manager(printer=masking_printer(log_secrets(env)))
    simulator = not given.jira_url
    if simulator:
        env.update(JIRA_URL=f"http://127.0.0.1:{sim_port}", **runfile.SIMULATOR_CREDENTIALS)
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
        settings = Settings.from_env(env)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None

    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    for name, cmd in _procfile(root).items():
        if name in without:
            continue
        if name in SUPERVISED:
            cmd = f"{shlex.quote(sys.executable)} -m worker.supervise --name {name} -- /bin/sh -c {shlex.quote('exec ' + cmd)}"
        manager.add_process(name, cmd, env=env)
    web_url, flower_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ports.flower_port}"
    lock.write({"redis_url": settings.redis_url, "redis_embedded": embedded is not None,
                "jira_url": settings.jira.url if settings.jira else "", "jira_simulator": simulator,
                "jira_deployment": settings.jira.deployment if settings.jira else "",
                "jira_email": settings.jira.email if settings.jira else "",
                "web_url": web_url, "flower_url": "" if "flower" in without else flower_url,
                "var_dir": str(var_dir.resolve())})
    say(f"web on {web_url}  (Flower on {flower_url})")
    signal.signal(signal.SIGHUP, _on_hangup(manager, say))
    manager.loop()
    sys.exit(manager.returncode)
