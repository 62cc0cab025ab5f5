"""`hatchet workflows validate`: check workflow files offline, as the daemon would read them.

Registered on the `workflows` group by `workflows.py`. It never talks to the daemon, and it imports
the parser only when it runs, so `hatchet --help` stays light.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hatchet_cli.cli.output import ExitCode, data, diagnostic, fail, print_json, style

if TYPE_CHECKING:
    from hatchetd.contracts.parse import ParsedFile, WorkflowError

DEFAULT_DIR = ".hatchet"


class ValidateOutput(StrEnum):
    """Output formats of `workflows validate`."""

    text = "text"
    json = "json"


def workflows_dir() -> Path:
    """The folder the daemon watches: `$HATCHET_DIR`, else `.hatchet`."""
    return Path(os.environ.get("HATCHET_DIR") or DEFAULT_DIR)


# Typer keeps single line breaks after the first paragraph, so each paragraph is one line here.
VALIDATE_HELP = "\n\n".join(
    [
        "Check workflow files without a daemon.",
        "Reads each file as the daemon would: YAML syntax, unknown or missing keys, actions, "
        "durations, cron schedules, event keys, duplicate step ids, and workflow names used by "
        "two files.",
        "Prints a summary line per valid workflow and exits 0, or one "
        "file:line:col: key.path: message line per error and exits 6.",
        "\b\nExamples:\n"
        "  hatchet workflows validate\n"
        "  hatchet workflows validate .hatchet/sign-up.yaml other-flows/\n"
        "  hatchet workflows validate -o json | jq '.errors[].message'",
    ]
)


def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Workflow files or folders (searched for *.yaml and *.yml). "
            "Default: $HATCHET_DIR, else .hatchet.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        ValidateOutput,
        typer.Option(
            "--output",
            "-o",
            help="text: a line per workflow, or per error; json: one document for programs.",
        ),
    ] = ValidateOutput.text,
) -> None:
    """Check workflow files without a daemon (see VALIDATE_HELP)."""
    # Imported here, not at the top: `hatchet --help` should not pay for pydantic and PyYAML.
    from hatchetd.contracts.parse import discover, load_files

    defaulted = not paths
    targets = list(paths) if paths else [workflows_dir()]
    try:
        files = discover(targets)
    except FileNotFoundError as exc:
        hint = " (pass a path, or set HATCHET_DIR)" if defaulted else ""
        fail(f"no such file or folder: {exc.filename}{hint}", ExitCode.INVALID_INPUT)
    parsed = load_files(files)
    errors = [error for result in parsed for error in result.errors]

    if output is ValidateOutput.json:
        print_json(_document(parsed, errors))
    elif errors:
        for error in errors:
            data(_error_line(error))
    else:
        _print_summaries([result for result in parsed if result.spec is not None])

    if output is ValidateOutput.text:
        _print_tally(parsed, errors, targets)
    if errors:
        raise typer.Exit(int(ExitCode.INVALID_INPUT))


def _print_tally(
    parsed: list[ParsedFile], errors: list[WorkflowError], targets: list[Path]
) -> None:
    if not parsed:
        where = ", ".join(str(target) for target in targets)
        diagnostic(f"no workflow files found in {where}")
    elif errors:
        broken = sum(1 for result in parsed if result.errors)
        tally = (
            f"{count(len(errors), 'error')} in {broken} of {count(len(parsed), 'file')}"
            if broken < len(parsed)
            else f"{count(len(errors), 'error')} in {count(broken, 'file')}"
        )
        diagnostic(style(tally, err=True, fg="red", bold=True))
    else:
        diagnostic(style(f"{count(len(parsed), 'workflow')} valid", err=True, fg="green"))


def _error_line(error: WorkflowError) -> str:
    where = style(f"{error.file}:{error.line}:{error.column}:", bold=True)
    path = f" {style(error.path + ':', fg='cyan')}" if error.path else ""
    return f"{where}{path} {error.message}"


def _print_summaries(parsed: list[ParsedFile]) -> None:
    if not parsed:
        return
    rows: list[list[str]] = []
    for result in parsed:
        spec = result.spec
        assert spec is not None
        steps = sum(len(job.steps) for job in spec.jobs.values())
        rows.append(
            [
                spec.name,
                spec.version or "-",
                f"{count(len(spec.jobs), 'job')}, {count(steps, 'step')}",
                triggers_text(spec.triggers.events, spec.triggers.crons, spec.timezone),
                result.file,
            ]
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        cells[0] = style(cells[0], bold=True)
        data("  ".join([*cells, style(row[-1], dim=True)]))


def triggers_text(events: Sequence[str], crons: Sequence[str], timezone: str | None = None) -> str:
    """`event user:create; cron */15 * * * * (Europe/Paris)`, or `no triggers`."""
    parts: list[str] = []
    if events:
        parts.append(f"{'event' if len(events) == 1 else 'events'} {', '.join(events)}")
    zone = f" ({timezone})" if timezone else ""
    parts.extend(f"cron {cron}{zone}" for cron in crons)
    return "; ".join(parts) or "no triggers"


def _document(parsed: list[ParsedFile], errors: list[WorkflowError]) -> dict[str, Any]:
    """The `-o json` document: a `ValidationReport`, a documented contract."""
    from hatchetd.contracts.validation import (
        ValidatedJob,
        ValidatedTriggers,
        ValidatedWorkflow,
        ValidationReport,
    )

    workflows = [
        ValidatedWorkflow(
            name=spec.name,
            version=spec.version,
            description=spec.description,
            file=result.file,
            checksum=result.checksum,
            timezone=spec.timezone,
            triggers=ValidatedTriggers(events=spec.triggers.events, crons=spec.triggers.crons),
            jobs=[
                ValidatedJob(name=name, steps=[step.id for step in job.steps])
                for name, job in spec.jobs.items()
            ],
        )
        for result in parsed
        if (spec := result.spec) is not None
    ]
    report = ValidationReport(valid=not errors, workflows=workflows, errors=errors)
    return report.model_dump(mode="json")


def count(number: int, noun: str) -> str:
    """`1 file`, `2 files`."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
