"""`psw`: the one command for every admin and operator task."""
import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Priority Support worker: admin and operator commands."""


def _register() -> None:
    # Each command lives in its own module; import here so `psw --help` lists them all.
    from worker.cli import audit, config, entitlements, explain, flower, health, jira, run, sim, sla  # noqa: F401
    from worker.cli import onboarding, retriage  # noqa: F401
    for module in (run, sim, sla, config, entitlements, explain, audit, jira, health, flower, retriage, onboarding):
        cli.add_command(module.command)


def main() -> None:
    _register()
    cli()
