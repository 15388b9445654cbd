"""`flask --app webapp login-lockouts list|clear`: see and lift login throttling."""

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.extensions import db
from webapp.services.login_throttle import clear_lockouts, list_lockouts

login_lockouts_command = AppGroup(
    "login-lockouts",
    help="Logins refused for too many failed passwords (per account and address, per address).")


@login_lockouts_command.command("list")
def list_command():
    """Print every lockout in force: who, from where, how many failures, until when (UTC)."""
    lockouts = list_lockouts(current_app.extensions["login_limits"])
    if not lockouts:
        click.echo("No login lockouts.")
    for lockout in lockouts:
        who = lockout.email if lockout.email is not None else "any account"
        click.echo(f"{who} from {lockout.address}: {lockout.failures} failed, locked until "
                   f"{lockout.until:%Y-%m-%d %H:%M:%S} UTC")


@login_lockouts_command.command("clear")
@click.option("--email", help="Forget this account's failed logins (from every address).")
@click.option("--address", help="Forget the failed logins from this client address.")
@click.option("--all", "everything", is_flag=True, help="Forget every failed login.")
def clear_command(email, address, everything):
    """Lift lockouts: by --email, by --address (both: that pair only), or --all."""
    if everything == (email is not None or address is not None):
        raise click.UsageError("Give --email and/or --address, or --all.")
    forgotten = clear_lockouts(email=email, address=address)
    db.session.commit()
    click.echo(f"Forgot {forgotten} failed {'login' if forgotten == 1 else 'logins'}.")


commands = [login_lockouts_command]
