from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ecabinet.common.signing import make_demo_certificate

signing_cli = AppGroup("signing", help="Digital signatures on reports and minutes.")


@signing_cli.command("demo-cert")
@click.option(
    "--directory",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write office-cert.pem and office-key.pem (default: instance/signing).",
)
def demo_cert(directory: Path | None) -> None:
    """Make a self-signed office certificate for trying signing out (not for real documents)."""
    cert, key = make_demo_certificate(directory or Path(current_app.instance_path) / "signing")
    click.echo(f"certificate: {cert}\nkey:         {key}")
    click.echo(
        f"To sign reports and minutes, start the server with\n"
        f"  ECABINET_SIGNING_CERT={cert} ECABINET_SIGNING_KEY={key}"
    )
