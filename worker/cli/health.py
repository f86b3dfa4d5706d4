"""`psw health [worker|worker-time|beat|service]`: the liveness checks from a shell, for probes and people.

`worker`, `worker-time` and `beat` judge one process by its heartbeat (Kubernetes and compose run
them as those processes' health checks); `service` runs every check of `/readyz`. Exit 0 healthy,
1 not, with one line each naming the problem."""
from __future__ import annotations

import socket

import click
import redis

from worker import clock, redis_connect
from worker.queues import QUEUES
from worker.cli.where import command_env, host_port
from worker.liveness import judge, snapshot
from worker.settings import Settings, SettingsError


# The hostnames' prefixes the Procfile gives each worker (`--hostname=psw@%h`, `psw-time@%h`).
HOSTNAMES = {"worker": "psw", "worker-time": "psw-time"}


@click.command("health")
@click.argument("what", type=click.Choice([*HOSTNAMES, "beat", "service"]), default="service")
@click.option("--name", help="The worker's hostname (default: psw@ or psw-time@ this host's name, as the "
                             "Procfile names them).")
def command(what: str, name: str | None) -> None:
    """Check a worker's or beat's heartbeat, or the whole service (as /readyz)."""
    try:
        settings = Settings.from_env(command_env(redis=True))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    client = redis_connect.client(settings, connect_timeout=2, timeout=2)
    try:
        snap = snapshot(client, QUEUES, clock.now().timestamp())
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis at {host_port(settings.redis_url)} does not answer: {type(exc).__name__}") \
            from None
    limits = settings.liveness
    if what in HOSTNAMES:
        name = name or f"{HOSTNAMES[what]}@{socket.gethostname()}"
        age = snap.workers.get(name)
        if age is None or age > limits.worker_max_age:
            seen = "no heartbeat" if age is None else f"last heartbeat {age:.0f} s ago"
            raise click.ClickException(f"worker {name}: {seen} (limit {limits.worker_max_age:g} s)")
        click.echo(f"worker {name}: heartbeat {age:.1f} s ago")
    elif what == "beat":
        if snap.beat_age is None or snap.beat_age > limits.beat_max_age:
            seen = "never ticked" if snap.beat_age is None else f"last ticked {snap.beat_age:.0f} s ago"
            raise click.ClickException(f"beat: {seen} (limit {limits.beat_max_age:g} s)")
        click.echo(f"beat: ticked {snap.beat_age:.1f} s ago")
    else:
        verdict = judge(snap, limits)
        for problem in verdict.problems:
            click.echo(f"not ready: {problem.check}: {problem.message}", err=True)
        if not verdict.ready:
            raise SystemExit(1)
        click.echo(f"ready: {len(snap.workers)} worker(s), {snap.queue_length} queued")

