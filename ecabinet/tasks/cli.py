import click
from flask.cli import AppGroup

from ecabinet.extensions import db
from ecabinet.tasks import service

tasks_cli = AppGroup("tasks", help="Tasks assigned by decisions, and their follow-up.")


@tasks_cli.command("remind")
def remind() -> None:
    """Remind the owners of unreported tasks before their deadline (once) and after it (once a day):
    a live event to each, and an e-mail when MAIL_SERVER is set. Run it from cron or a systemd timer."""
    sent = service.remind()
    db.session.commit()
    for task, overdue in sent:
        click.echo(f"task {task.id}: {'overdue' if overdue else 'due soon'} reminder sent")
    click.echo(f"sent {len(sent)} reminder(s)")
