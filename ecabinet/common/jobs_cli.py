import click
from flask import current_app
from flask.cli import AppGroup

from ecabinet.common import jobs

jobs_cli = AppGroup("jobs", help="Heavy work (PDFs, books, reports, signing) in job-worker processes.")


@jobs_cli.command("worker")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes taking jobs at once (default: ECABINET_JOB_WORKERS, else one per core).",
)
def worker(workers: int | None) -> None:
    """Take jobs from the queue (ECABINET_JOBS) until stopped; run more of these on other hosts."""
    if current_app.config["ECABINET_JOBS"] == "immediate":
        raise click.UsageError("ECABINET_JOBS=immediate runs every job in place: there is no queue to take")
    jobs.work(workers or max(1, current_app.config["ECABINET_JOB_WORKERS"]))
