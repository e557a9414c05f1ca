import click
from flask.cli import AppGroup

from ecabinet.documents import text_index

documents_cli = AppGroup("documents", help="Agenda documents.")


@documents_cli.command("reindex")
def reindex() -> None:
    """Extract the search text of every document version still waiting for it."""
    click.echo(f"extracted text of {text_index.reindex_pending()} document version(s)")


@documents_cli.command("recarry")
def recarry() -> None:
    """Carry the members' notes onto every new version whose carrying did not finish."""
    from ecabinet.annotations import carry  # the annotations domain builds on this one

    click.echo(f"carried notes onto {carry.resume_unfinished()} document version(s)")
