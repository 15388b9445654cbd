"""Data commands (SPEC §9, §9.1, §9.2): seed-demo, load-data, export-data."""


from urllib.parse import urlsplit

import click

from webapp.extensions import db


def _server_url(ctx, param, value: str) -> str:
    """An http(s) address without path, query or spaces: it is printed as a link."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/") \
            or parts.query or " " in value.strip():
        raise click.BadParameter("must be like http://127.0.0.1:5000 (http or https, host, "
                                 "optional port, no path)")
    return f"{parts.scheme}://{parts.netloc}"


@click.command("seed-demo")
@click.option("--scale", type=click.IntRange(min=1), default=1, show_default=True,
              help="Make N times as many projects, integrations and installations (benchmarks).")
@click.option("--if-empty", is_flag=True,
              help="Do nothing when the database already has a user (used by `make run`).")
@click.option("--server", default="http://127.0.0.1:5000", show_default=True,
              callback=_server_url,
              help="Where the app will be served: the printed login link points there "
                   "(`make run HOST=… PORT=…` passes its own).")
def seed_demo_command(scale, if_empty, server):
    """Fill the demo organizations and print the demo logins (random passwords, shown once)."""
    from webapp.commands.demo import DemoAlreadySeeded, database_has_users, seed_demo

    if if_empty and database_has_users():
        click.echo("Database already has data; not seeding. "
                   "Log in with the users you created earlier.")
        return
    try:
        result = seed_demo(scale=scale)
    except DemoAlreadySeeded as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(result.summary())
    click.echo("")
    click.echo("Demo logins (passwords are random and shown only now):")
    width = max(len(login.email) for login in result.logins)
    click.echo(f"  {'email'.ljust(width)}  {'role'.ljust(16)}  password")
    for login in result.logins:
        click.echo(f"  {login.email.ljust(width)}  {login.role.ljust(16)}  {login.password}")
    click.echo("")
    click.echo(f"Log in at {server}/login/")


@click.command("export-data")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--with-secrets", is_flag=True,
              help="Include users' password hashes (keep the file private).")
def export_data_command(path, with_secrets):
    """Write the whole data set as JSON (docs/data-format.md) to PATH, or `-` for stdout."""
    from webapp.services.datafile import dump_data, export_data

    text = dump_data(export_data(with_secrets=with_secrets))
    db.session.rollback()  # read-only; end the transaction
    with click.open_file(path, "w", encoding="utf-8", atomic=path != "-") as fh:
        fh.write(text)
    if path != "-":
        click.echo(f"Wrote {path}", err=True)


@click.command("load-data")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
def load_data_command(path):
    """Load a data file (docs/data-format.md): validate all of it, then write it in one transaction.

    Creates or updates records by natural key (never deletes) and prints one line per table.
    On any fault, prints every error with its JSON path to stderr, changes nothing, exits 1.
    """
    from webapp.services.datafile import DataFileInvalid, load_data, parse_data_file

    try:
        with click.open_file(path, "r", encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"Cannot read {path}: {exc}") from None
    try:
        summary = load_data(parse_data_file(text))
    except DataFileInvalid as exc:
        db.session.rollback()
        for line in exc.errors:
            click.echo(line, err=True)
        count = len(exc.errors)
        click.echo(f"{path}: {count} error{'s' if count != 1 else ''}; nothing was loaded.",
                   err=True)
        click.get_current_context().exit(1)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    for line in summary.lines():
        click.echo(line)


commands = [seed_demo_command, load_data_command, export_data_command]
