import click
from flask.cli import AppGroup

from ecabinet.audit import service

audit_cli = AppGroup("audit", help="The append-only audit log.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check the hash chain; exit 1 naming the first altered or missing entry."""
    result = service.verify()
    if result.ok:
        click.echo(f"audit log intact: {result.checked} entries")
        return
    click.echo(f"audit log broken: {result.problem}", err=True)
    raise SystemExit(1)
