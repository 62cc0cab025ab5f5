"""`hatchet dev`: the daemon and the user's workers in one command, for the inner loop.

The supervision lives in `dev_supervisor.py` (and the processes in `dev_processes.py`), imported
when the command runs so that `hatchet --help` does not load asyncio's subprocess machinery.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hatchet_cli.cli.output import ExitCode, fail
from hatchet_cli.cli.workflows_validate import workflows_dir

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7070

DEV_HELP = "\n\n".join(
    [
        "Run hatchetd and your workers together, restarting a worker when its code changes.",
        "Starts hatchetd on the workflow folder, waits until it is ready, then runs "
        "each worker script as python WORKER.py with HATCHET_ADDRESS "
        "set to the daemon. Saving a .py file in a worker's folder restarts that worker (its "
        "running steps get 5 s to finish); a "
        "worker that exits or fails to start is reported and starts again on its next change. "
        "Every line is shown behind the name of the process that printed it.",
        "Ctrl-C (or SIGTERM) stops the workers, then the daemon, and exits 0; a second Ctrl-C "
        "kills them at once. If hatchetd exits on its own, the workers are stopped and the "
        "command exits 1.",
        "Examples:",
        "\b\n  hatchet dev examples/worker.py\n"
        "  hatchet dev worker.py billing_worker.py --folder flows/\n"
        "  hatchet dev worker.py --port 7171",
    ]
)


def dev(
    workers: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="WORKER.py",
            help="Worker scripts, each started as python WORKER.py.",
            show_default=False,
        ),
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Option(
            "--folder",
            help="The workflow folder hatchetd watches. Default: $HATCHET_DIR, else .hatchet.",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int,
        typer.Option(
            "--port",
            envvar="HATCHET_PORT",
            min=0,
            max=65535,
            help="The port hatchetd listens on (127.0.0.1); 0 picks a free one.",
        ),
    ] = DEFAULT_PORT,
) -> None:
    """Run the daemon and the workers until Ctrl-C (see DEV_HELP)."""
    if sys.platform == "win32":
        # It signals process groups and handles signals on its event loop: POSIX only.
        fail("hatchet dev needs Linux or macOS: run hatchetd and each worker yourself")
    scripts = tuple(path.resolve() for path in workers or ())
    for given, script in zip(workers or (), scripts, strict=True):
        if not script.is_file():
            fail(f"no worker script {given}: name a Python file that runs a worker", ExitCode.USAGE)
    from hatchet_cli.cli.dev_supervisor import DevPlan, port_taken, run_dev

    if port_taken(DEFAULT_HOST, port):
        fail(
            f"port {port} is taken (another hatchetd?): stop it, or pass --port",
            ExitCode.ERROR,
        )
    plan = DevPlan(
        folder=(folder or workflows_dir()).resolve(),
        host=DEFAULT_HOST,
        port=port,
        workers=scripts,
    )
    raise typer.Exit(run_dev(plan))
