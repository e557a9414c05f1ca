import click
from flask.cli import AppGroup
from sqlalchemy import select

from ecabinet.auth.models import User
from ecabinet.extensions import db
from ecabinet.retention import service

retention_cli = AppGroup("retention", help="How long members' private notes are kept.")


@retention_cli.command("apply")
def apply() -> None:
    """Destroy the private annotations of closed meetings past their retention (run it daily from cron
    or a systemd timer). Prints how many, and whose — never what they said."""
    destroyed = service.apply()
    whose = {user_id for d in destroyed for user_id in d.by_user}
    names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(whose))).all())
    db.session.commit()
    for d in destroyed:
        counts = ", ".join(f"{names[user_id]} ({count})" for user_id, count in sorted(d.by_user.items()))
        click.echo(f"meeting {d.meeting.id}: destroyed {d.total} private annotation(s) of {counts}")
    total = sum(d.total for d in destroyed)
    click.echo(f"destroyed {total} private annotation(s) in {len(destroyed)} meeting(s)")
