"""`hatchet workers`: the workers connected to the daemon, and what they run."""

from __future__ import annotations

import typer

from hatchet_cli._cells import when
from hatchet_cli.cli.connection import connect, daemon_errors, to_json
from hatchet_cli.cli.output import Output, OutputFormat, diagnostic, emit, print_table

app = typer.Typer(
    name="workers",
    help="Workers: the processes that run your steps.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("list")
def list_workers(
    ctx: typer.Context,
    output: Output = OutputFormat.table,
) -> None:
    """List workers, newest registration first, with the step runs each is running.

    Examples:

    \b
      hatchet workers list
      hatchet workers list -o json | jq '.[] | select(.worker.status == "LOST")'
    """
    with daemon_errors(), connect(ctx) as client:
        workers = client.workers.list()

    def table() -> None:
        print_table(
            ["ID", "NAME", "STATUS", "SLOTS", "RUNNING", "LAST HEARTBEAT", "ACTIONS"],
            [
                [
                    info.worker.id,
                    info.worker.name,
                    info.worker.status.value,
                    str(info.worker.slots),
                    str(len(info.running_step_run_ids)),
                    when(info.worker.last_heartbeat_at),
                    ", ".join(info.worker.actions),
                ]
                for info in workers
            ],
        )

    emit(output, to_json(workers), [info.worker.id for info in workers], table)
    if output is OutputFormat.table and not workers:
        diagnostic("no workers")
