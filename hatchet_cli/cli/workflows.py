"""`hatchet workflows`: list and show what the daemon loaded, start one by hand (`run`); check
files offline (`validate`, in `workflows_validate.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from hatchet_cli._cells import short, took, when
from hatchet_cli.cli.connection import connect, daemon_errors, read_data, to_json
from hatchet_cli.cli.events_wait import (
    WAIT_TIMEOUT,
    RunWait,
    WaitTimeout,
    check_wait_options,
    run_and_report,
)
from hatchet_cli.cli.output import (
    OutputFormat,
    data,
    diagnostic,
    emit,
    output_option,
    print_table,
    style,
)
from hatchet_cli.cli.runs import runs_table
from hatchet_cli.cli.workflows_validate import VALIDATE_HELP, count, triggers_text, validate

if TYPE_CHECKING:
    from hatchetd.contracts.api import WorkflowDetail, WorkflowInfo, WorkflowList
    from hatchetd.contracts.runs import WorkflowRun
    from hatchetd.contracts.workflows import WorkflowVersion

app = typer.Typer(
    name="workflows",
    help="Workflows: list what the daemon loaded, show or run one, check files offline.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


ACTIVE, INACTIVE, ERROR = "active", "inactive", "error"


def state(workflow: WorkflowInfo) -> str:
    """`active`; `inactive` once its file is deleted; `error` while its file does not load (the
    last good version stays current meanwhile)."""
    if not workflow.active:
        return INACTIVE
    return ERROR if workflow.errors else ACTIVE


# Typer keeps single line breaks after the first paragraph, so each paragraph is one line here.
LIST_HELP = "\n\n".join(
    [
        "List every workflow the daemon has loaded, and the files that do not load.",
        "Each workflow with its current version, triggers, file and state: active, "
        "inactive (its file was deleted; its history stays) or error "
        "(its file does not load now; the last good version stays current).",
        "UNSERVED names the actions of an active workflow that no connected "
        "worker registered: its steps that call them wait for a worker.",
        "Below the table, one file:line:col: message line per error of every file "
        "that does not load. Broken files are part of the listing: the exit code is still 0.",
        "\b\nExamples:\n"
        "  hatchet workflows list\n"
        "  hatchet workflows list -o json | jq -r '.broken_files[].errors[]'\n"
        "  hatchet workflows list -o id | xargs -n1 hatchet workflows show",
    ]
)


@app.command("list", help=LIST_HELP)
def list_workflows(
    ctx: typer.Context,
    output: Annotated[OutputFormat, output_option("the workflow names")] = OutputFormat.table,
) -> None:
    """List the workflows and the broken files (see LIST_HELP)."""
    with daemon_errors(), connect(ctx) as client:
        listing = client.workflows.list()
    names = [workflow.name for workflow in listing.workflows]
    emit(output, to_json(listing), names, lambda: print_listing(listing))
    if output is OutputFormat.table:
        _print_tally(listing)


SHOW_HELP = "\n\n".join(
    [
        "Show a workflow: its current definition, its versions, its errors, the actions no "
        "connected worker serves, and its latest runs.",
        "The definition is the normalised one the daemon runs: defaults filled in, "
        "on: folded into triggers:. Versions are newest first, told "
        "apart by the checksum of the definition; the runs are the last 10. An unknown name "
        "exits 3.",
        "\b\nExamples:\n"
        "  hatchet workflows show post-user-sign-up\n"
        "  hatchet workflows show post-user-sign-up -o json | jq .definition.jobs\n"
        "  hatchet workflows show post-user-sign-up -o id | xargs -n1 hatchet runs show",
    ]
)


@app.command(help=SHOW_HELP)
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The workflow's name.")],
    output: Annotated[
        OutputFormat, output_option("the ids of the recent runs")
    ] = OutputFormat.table,
) -> None:
    """Show one workflow in full (see SHOW_HELP)."""
    with daemon_errors(), connect(ctx) as client:
        detail = client.workflows.show(name)
    run_ids = [run.id for run in detail.recent_runs]
    emit(output, to_json(detail), run_ids, lambda: _print_detail(detail))


RUN_HELP = "\n\n".join(
    [
        "Start a run of a workflow by hand, whatever its triggers.",
        "A workflow without triggers runs only this way. The run starts with "
        "--input (default {}), which its templates read as they read an event's "
        "payload: as input and by its top-level keys. Prints the run once it is "
        "stored; follow it with hatchet runs show, or wait for it to end with "
        "--wait (exit 1 unless it succeeded).",
        "The start carries an idempotency key (a random one unless "
        "--idempotency-key gives it) and is sent again with the same key when the "
        "daemon answers 503 or does not answer, so it starts one run. An unknown workflow exits "
        "3; one whose file was deleted, or an input that is not a JSON object, exits 6.",
        "\b\nExamples:\n"
        "  hatchet workflows run nightly-report\n"
        '  hatchet workflows run nightly-report --input \'{"day": "2026-12-04"}\'\n'
        "  hatchet workflows run nightly-report --input @day.json -o id | xargs hatchet runs show\n"
        "  hatchet workflows run nightly-report --input - < day.json\n"
        "  hatchet workflows run nightly-report --wait --timeout 60 -o json",
    ]
)


@app.command(help=RUN_HELP)
def run(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The workflow's name.")],
    *,
    given: Annotated[
        str | None,
        typer.Option(
            "--input",
            "-i",
            help="The run's input, a JSON object: literal JSON, @file, or "
            "- for stdin (default {}).",
            show_default=False,
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            help="Starting the same workflow with the same key and input again returns the "
            "first run instead of a new one (default: a random key, for this start's own "
            "retries).",
            show_default=False,
        ),
    ] = None,
    wait: RunWait = False,
    timeout: WaitTimeout = None,
    output: Annotated[OutputFormat, output_option("the run's id")] = OutputFormat.table,
) -> None:
    """Start a workflow by hand (see RUN_HELP)."""
    check_wait_options(wait, timeout)
    body = read_data(given, "--input") if given is not None else {}
    with daemon_errors(), connect(ctx) as client:
        document = client.workflows.run_document(name, body, idempotency_key=idempotency_key)
        if wait:
            from hatchetd.contracts.runs import WorkflowRun

            started = WorkflowRun.model_validate(document)
            limit = WAIT_TIMEOUT if timeout is None else timeout
            run_and_report(client, started, limit, output)
            return
    _print_started(document, output)


def _print_started(document: dict[str, Any], output: OutputFormat) -> None:
    if output is not OutputFormat.table:
        # Scripts' path: the daemon's document as it came, so no models load (start-up).
        emit(output, document, [document["id"]], lambda: None)
        return
    from hatchetd.contracts.runs import WorkflowRun

    run = WorkflowRun.model_validate(document)
    runs_table([run])
    diagnostic(
        f"started run {run.id} of {run.workflow_name}; follow it: hatchet runs show {run.id}"
    )


# Registered after the others so that `hatchet workflows --help` lists it last.
app.command("validate", help=VALIDATE_HELP)(validate)


def print_listing(listing: WorkflowList) -> None:
    """`workflows list` for people: the table, then every error of every file that does not load
    (in red on a terminal)."""
    if listing.workflows:
        print_table(
            ["NAME", "STATE", "VERSION", "TRIGGERS", "FILE", "UNSERVED"],
            [
                [
                    workflow.name,
                    state(workflow),
                    workflow.version or "-",
                    triggers_text(workflow.events, workflow.crons),
                    workflow.file,
                    ", ".join(workflow.unserved_actions) or "-",
                ]
                for workflow in listing.workflows
            ],
        )
    # Every file with errors, the files of workflows in `error` included: the daemon gives each
    # error as `file:line:col: ...`, so the lines say which row they belong to.
    errors = [error for broken in listing.broken_files for error in broken.errors]
    if errors and listing.workflows:
        data()
    for error in errors:
        data(style(error, fg="red"))


def _print_tally(listing: WorkflowList) -> None:
    errors = sum(len(broken.errors) for broken in listing.broken_files)
    if errors:
        files = count(len(listing.broken_files), "file")
        diagnostic(style(f"{count(errors, 'error')} in {files}", err=True, fg="red", bold=True))
    elif not listing.workflows:
        diagnostic("no workflows: the daemon's folder has no workflow files")


_STATE_COLOURS = {ACTIVE: "green", INACTIVE: None, ERROR: "red"}


def _print_detail(detail: WorkflowDetail) -> None:
    workflow = detail.workflow
    current = workflow.version or "-"
    the_state = state(workflow)
    label = {INACTIVE: "inactive (its file was deleted)", ERROR: "error (see below)"}
    for title, value in [
        ("workflow", style(workflow.name, bold=True)),
        ("state", style(label.get(the_state, the_state), fg=_STATE_COLOURS[the_state])),
        ("version", f"{current} ({short(workflow.version_id)})"),
        ("file", workflow.file),
        ("triggers", triggers_text(workflow.events, workflow.crons, _timezone(detail))),
        ("updated", when(workflow.updated_at)),
    ]:
        data(f"{style(f'{title}:'.ljust(10), bold=True)}{value}")
    if workflow.unserved_actions:
        actions = style(", ".join(workflow.unserved_actions), fg="yellow")
        data(
            f"{style('unserved:'.ljust(10), bold=True)}{actions}: no connected worker serves "
            f"{'it' if len(workflow.unserved_actions) == 1 else 'them'}; the steps that call "
            f"{'it' if len(workflow.unserved_actions) == 1 else 'them'} wait for one"
        )
    if workflow.errors:
        data()
        data(style("errors (the version above stays current until the file loads):", bold=True))
        for error in workflow.errors:
            data(f"  {style(error, fg='red')}")
    data()
    data(style("definition:", bold=True))
    for line in _definition_text(detail.definition).splitlines():
        data(f"  {line}")
    data()
    data(style("versions:", bold=True))
    _versions_table(detail.versions, workflow.version_id)
    data()
    data(style("recent runs:", bold=True))
    if detail.recent_runs:
        _runs_table(detail.recent_runs)
    else:
        data("no runs")


def _timezone(detail: WorkflowDetail) -> str | None:
    zone = detail.definition.get("timezone")
    return zone if isinstance(zone, str) else None


def _versions_table(versions: list[WorkflowVersion], current_id: str) -> None:
    print_table(
        ["VERSION", "CHECKSUM", "FILE", "SEEN", ""],
        [
            [
                version.version or "-",
                short(version.id),
                version.file,
                when(version.created_at),
                "current" if version.id == current_id else "",
            ]
            for version in reversed(versions)  # the API sends them oldest first
        ],
    )


def _runs_table(runs: list[WorkflowRun]) -> None:
    print_table(
        ["ID", "STATUS", "TRIGGER", "CREATED", "TOOK"],
        [
            [
                run.id,
                run.status.value,
                f"event {short(run.event_id)}" if run.event_id else run.trigger.value.lower(),
                when(run.created_at),
                took(run.started_at, run.finished_at),
            ]
            for run in runs
        ],
    )


def _definition_text(definition: dict[str, Any]) -> str:
    """The definition as YAML, without the nulls and empty lists the normaliser filled in, so it
    reads like a workflow file."""
    import yaml  # here, not at the top: only `show` needs it

    class Dumper(yaml.SafeDumper):
        # Indent list items under their key, as workflow files (and the docs) write them.
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            del indentless
            super().increase_indent(flow, False)

    text: str = yaml.dump(
        _without_empty(definition), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=96
    )
    return text


def _without_empty(value: Any, *, user_data: bool = False) -> Any:
    """`value` without null, `[]` and `{}` entries. Inside `with:` everything is kept: there a
    null or an empty list is what the author wrote."""
    if user_data:
        return value
    if isinstance(value, dict):
        kept = {key: _without_empty(item, user_data=key == "with") for key, item in value.items()}
        # After the recursion: a mapping whose entries were all empty goes too.
        return {key: item for key, item in kept.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [_without_empty(item) for item in value]
    return value
