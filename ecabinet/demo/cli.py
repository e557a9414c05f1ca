import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ecabinet.auth.models import User
from ecabinet.demo.data import DEMO_PASSWORD, DEMO_TOTP, PEOPLE, seed
from ecabinet.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Fill an empty database with a demo cabinet, meetings and a ballot; list the demo logins."""
    if db.session.scalar(select(func.count()).select_from(User)):
        demo = set(db.session.scalars(select(User.username).where(User.username.in_([p[0] for p in PEOPLE]))))
        if not demo:
            click.echo("The database already has users and no demo data; nothing added.")
            return
        click.echo("Demo data is already in place.")
    else:
        seed()
        db.session.commit()
        click.echo("Demo cabinet created.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, full_name, title, _org, roles in PEOPLE:
        click.echo(f"  {username:<16} {', '.join(roles):<12} {full_name} — {title}")
    click.echo(
        "Second factor (TOTP) of the demo's admin and secretariat: add the key to an authenticator app,"
    )
    click.echo("or print the code of the moment with the command beside it:")
    for username, secret in DEMO_TOTP.items():
        code = f".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{secret}').now())\""
        click.echo(f"  {username:<16} {secret}   {code}")
