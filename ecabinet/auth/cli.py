import click
from flask.cli import AppGroup
from sqlalchemy import select

from ecabinet.auth import mfa, service
from ecabinet.auth.models import User
from ecabinet.errors import DomainError
from ecabinet.extensions import db

users_cli = AppGroup("users", help="User accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--full-name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="admin, secretariat, clerk, member or observer; repeat for several.",
)
@click.option("--title", default=None, help="e.g. Bộ trưởng Bộ Tài chính")
@click.option("--organization", default=None, help="Organisation name; created if new.")
def create_user(username, password, full_name, roles, title, organization):
    """Create a user."""
    try:
        user = service.create_user(
            None,
            username=username,
            full_name=full_name,
            password=password,
            roles=roles,
            title=title,
            organization=organization,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"error: {exc.message}", err=True)
        raise SystemExit(1)
    click.echo(f"created user {user.username} (id {user.id}) with roles {', '.join(user.roles)}")


@users_cli.command("reset-mfa")
@click.argument("username")
def reset_mfa(username):
    """Remove every second factor and recovery code of a user (a lost phone, the codes lost too): for
    when no administrator can log in to do it from the user's page."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        click.echo(f"error: no user {username!r}", err=True)
        raise SystemExit(1)
    mfa.reset(None, user)
    db.session.commit()
    click.echo(f"removed the second factors of {username}; a role that needs one enrols at its next login")
