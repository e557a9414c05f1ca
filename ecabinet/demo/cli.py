import click
from sqlalchemy import func, select

from ecabinet.auth.models import User
from ecabinet.demo.data import DEMO_PASSWORD, seed
from ecabinet.extensions import db


@click.command("seed-demo")
def seed_demo() -> None:
    """Fill an empty database with a demo cabinet, meetings and a ballot."""
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("The database already has users; demo data not added.")
        return
    users = seed()
    db.session.commit()
    click.echo(f"Demo cabinet created. Every demo login uses the password: {DEMO_PASSWORD}")
    for user in users:
        click.echo(f"  {user.username:<16} {', '.join(user.roles):<22} {user.full_name} — {user.title or ''}")
