"""`psw flower`: Flower on the worker's Celery app, with authentication wherever it listens
beyond loopback (FLOWER_BASIC_AUTH), and a bounded task list (FLOWER_MAX_TASKS)."""
from __future__ import annotations

import os
import sys

import click

from worker.cli.where import command_env
from worker.settings import FlowerSettings, SettingsError


@click.command("flower")
def command() -> None:
    """Run Flower: loopback only unless FLOWER_BASIC_AUTH is set."""
    try:
        flower = FlowerSettings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    # Flower's Celery app reads REDIS_URL when it imports worker.celery_main: a running psw run's
    # Redis when none is set.
    os.environ.update(command_env(redis=True))
    argv = [sys.executable, "-m", "celery", "--app", "worker.celery_main", "flower",
            f"--address={flower.address}", f"--port={flower.port}", f"--max_tasks={flower.max_tasks}"]
    # The credentials stay in the environment (Flower reads FLOWER_BASIC_AUTH itself): an
    # argument would show in `ps`.
    os.execv(sys.executable, argv)
