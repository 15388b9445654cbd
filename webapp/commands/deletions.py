"""`flask --app webapp run-deletions`: finish uninstalls (SPEC §7.5)."""

import click

from webapp.services.integrations import run_deletions


@click.command("run-deletions")
def run_deletions_command():
    """Delete installations pending deletion (their org link and config; the Integration stays)."""
    deleted = run_deletions()
    click.echo(f"Deleted {deleted} {'installation' if deleted == 1 else 'installations'} "
               "pending deletion.")


commands = [run_deletions_command]
