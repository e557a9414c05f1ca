import click
from flask.cli import AppGroup

from ecabinet.ballots import service
from ecabinet.extensions import db

ballots_cli = AppGroup("ballots", help="Written-opinion ballots.")


@ballots_cli.command("close-expired")
def close_expired() -> None:
    """Close every ballot past its deadline (run it from cron or a systemd timer)."""
    closed = service.close_expired()
    db.session.commit()
    click.echo(f"closed {closed} ballot(s) past their deadline")
