"""`hatchet runs rerun`: a new run of an ended run, whole or from its failed steps.

Registered on the `runs` group by `app.py`: it waits as `workflows run --wait` does
(`events_wait.py`), which itself draws with `runs.py`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hatchet_cli.cli.connection import connect, daemon_errors
from hatchet_cli.cli.events_wait import (
    WAIT_TIMEOUT,
    RunWait,
    WaitTimeout,
    check_wait_options,
    run_and_report,
)
from hatchet_cli.cli.output import OutputFormat, diagnostic, emit, output_option
from hatchet_cli.cli.runs import RunId, runs_table

RERUN_HELP = "\n\n".join(
    [
        "Rerun an ended run: a new run of the same workflow version with the same input.",
        "The new run runs the version the original ran, even if the file has changed since "
        "(to run the new version, replay the event or start the workflow by hand), with the "
        "original's trigger, event and input. With --from-failed the steps that "
        "succeeded are not run again: their outputs are kept, each job that succeeded is kept "
        "whole, and each other job starts at its first step that did not succeed. Prints the "
        "new run; runs show links the two runs both ways.",
        "The request carries an idempotency key (a random one unless "
        "--idempotency-key gives it) and is sent again with the same key when the "
        "daemon answers 503 or does not answer, so it starts one run. An unknown run exits 3; "
        "a run that has not ended, or --from-failed on a run in which no step "
        "failed, exits 6.",
        "\b\nExamples:\n"
        "  hatchet runs rerun 3f2a\n"
        "  hatchet runs rerun 3f2a --from-failed\n"
        "  hatchet runs rerun 3f2a --from-failed --wait --timeout 60\n"
        "  hatchet runs rerun 3f2a -o id | xargs hatchet runs show --watch",
    ]
)


def rerun(
    ctx: typer.Context,
    run_id: RunId,
    *,
    from_failed: Annotated[
        bool,
        typer.Option(
            "--from-failed",
            help="Keep the outputs of the steps that succeeded and start each job that did not "
            "succeed at its failed step.",
        ),
    ] = False,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            help="Rerunning the same run with the same key again returns the first rerun "
            "instead of a new one (default: a random key, for this request's own retries).",
            show_default=False,
        ),
    ] = None,
    wait: RunWait = False,
    timeout: WaitTimeout = None,
    output: Annotated[OutputFormat, output_option("the new run's id")] = OutputFormat.table,
) -> None:
    """Rerun a run (see RERUN_HELP)."""
    check_wait_options(wait, timeout)
    with daemon_errors(), connect(ctx) as client:
        document = client.runs.rerun_document(
            run_id, from_failed=from_failed, idempotency_key=idempotency_key
        )
        if wait:
            from hatchetd.contracts.runs import WorkflowRun

            started = WorkflowRun.model_validate(document)
            limit = WAIT_TIMEOUT if timeout is None else timeout
            run_and_report(client, started, limit, output)
            return
    _print_rerun(document, output)


def _print_rerun(document: dict[str, Any], output: OutputFormat) -> None:
    if output is not OutputFormat.table:
        emit(output, document, [document["id"]], lambda: None)
        return
    from hatchetd.contracts.runs import WorkflowRun

    run = WorkflowRun.model_validate(document)
    runs_table([run])
    diagnostic(
        f"started run {run.id}, a rerun of {run.rerun_of_id}; follow it: hatchet runs show {run.id}"
    )
