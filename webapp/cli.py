"""The `flask --app webapp …` commands (SPEC §9)."""

import importlib

import click
from flask import Flask

from webapp.extensions import db
from webapp.services.errors import DomainError

# Each area keeps its commands in its own module, as a list named `commands`.
COMMAND_MODULES = (
    "webapp.commands.data",  # seed-demo, load-data, export-data
    "webapp.commands.deletions",  # run-deletions
    "webapp.commands.lockouts",  # login-lockouts list|clear
)


def register_cli(app: Flask) -> None:
    for command in (create_user_command, add_member_command, create_token_command):
        app.cli.add_command(command)
    for module_name in COMMAND_MODULES:
        for command in importlib.import_module(module_name).commands:
            app.cli.add_command(command)


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException(exc.message)


@click.command("create-user")
@click.argument("email")
@click.option("--password", help="Prompted (hidden, twice) when not given.")
@click.option("--name", default="", help="Display name (default: the part before @).")
@click.option("--staff", is_flag=True, help="Staff: sees every org, manages doc integrations.")
@click.option("--superuser", is_flag=True)
def create_user_command(email, password, name, staff, superuser):
    """Create a user."""
    from webapp.services.accounts import create_user

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, name, is_staff=staff, is_superuser=superuser)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Created user {user.email}" + (" (staff)" if staff else ""))


@click.command("add-member")
@click.argument("org")
@click.argument("email")
@click.argument("role", type=click.Choice(["member", "admin", "manager", "owner"]))
def add_member_command(org, email, role):
    """Add a user to an organization with a role (or change their role)."""
    from webapp.services.accounts import add_member

    try:
        add_member(org, email, role)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{email} is now {role} of {org}")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="cli", help="What the token is for.")
def create_token_command(email, name):
    """Create an API token for a user; prints the plaintext alone on the last line."""
    from webapp.services.accounts import get_user_by_email
    from webapp.services.tokens import create_token

    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"User {email} not found")
    try:
        _, plaintext = create_token(user, name)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Token “{name}” for {user.email} (shown once):")
    click.echo(plaintext)
