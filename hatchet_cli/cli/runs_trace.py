"""The trace of `hatchet runs show` as text: the run, its job runs and their step runs as a tree,
each job and step line with its waterfall bar on the run's time axis.

```
run 5d0c…  sign-up  SUCCEEDED  event 9a1f…  took 12.0s
├─ job signup         ████████████████████████  SUCCEEDED  took 12.0s
│  ├─ step sandbox    ░░████████··············  SUCCEEDED  attempt 1  worker 3f2a0c1d  took 4.0s
│  └─ step email      ··········░░░░░░░░██████  SUCCEEDED  attempt 1  worker 3f2a0c1d  took 3.0s
└─ job newsletter     ██████··················  SUCCEEDED  took 3.0s
   └─ step subscribe  ░█████··················  SUCCEEDED  attempt 1  worker 3f2a0c1d  took 2.5s
```

(the email step waited 4 s for a free worker slot.)

`trace_lines` is pure but for colour, which `output.style` adds only when stdout is a terminal.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hatchet_cli._cells import short, took, trigger_text
from hatchet_cli._waterfall import BAR_WIDTH, IDLE, QUEUED, Bar, waterfall
from hatchet_cli.cli.output import data, style

if TYPE_CHECKING:
    from hatchetd.contracts.runs import RunTrace

__all__ = ["print_trace", "status_text", "trace_lines"]

_STATUS_COLOURS = {
    "SUCCEEDED": "green",
    "FAILED": "red",
    "CANCELLED": "yellow",
    "RUNNING": "cyan",
    "ASSIGNED": "cyan",
}


def status_text(value: str) -> str:
    """A run, job or step status, coloured on a terminal."""
    return style(value, fg=_STATUS_COLOURS.get(value), bold=value == "FAILED")


def print_trace(trace: RunTrace, *, verbose: bool, now: datetime | None = None) -> None:
    """Print the trace on stdout (`now`, default the current time, ends the axis of a run that
    is not final)."""
    for line in trace_lines(trace, now=now or datetime.now(UTC), verbose=verbose):
        data(line)


def trace_lines(
    trace: RunTrace, *, now: datetime, verbose: bool = False, width: int = BAR_WIDTH
) -> list[str]:
    """The lines of the trace: the run, then a tree of job runs and step runs with a `width`-cell
    waterfall bar each; with `verbose`, each step's input, output and error under it."""
    run = trace.run
    bars = waterfall(trace, now, width)
    trigger = trigger_text(run, full_ids=True)
    lines = [
        f"{style('run', bold=True)} {run.id}  {style(run.workflow_name, bold=True)}  "
        f"{status_text(run.status.value)}  {trigger}  took {took(run.started_at, run.finished_at)}"
    ]
    if run.error:
        lines.append(f"  error: {run.error}")
    if run.rerun_of_id:
        lines.append(f"  rerun of {run.rerun_of_id}")
    if trace.rerun_ids:
        lines.append(f"  rerun as {', '.join(trace.rerun_ids)}")
    # The bars line up in one column: every label is padded to the longest.
    waits = {wait.step_run_id: wait.message for wait in trace.waiting}
    labels = [len(f"├─ job {job.job_run.job_name}") for job in trace.jobs]
    labels += [len(f"│  ├─ step {s.step_id}") for job in trace.jobs for s in job.step_runs]
    label_width = max(labels, default=0)
    for j, job in enumerate(trace.jobs):
        last_job = j == len(trace.jobs) - 1
        job_run = job.job_run
        label = _label("└─ " if last_job else "├─ ", "job", job_run.job_name, label_width)
        lines.append(
            f"{label}  {_bar(bars[job_run.id], job_run.status.value)}  "
            f"{status_text(job_run.status.value)}  "
            f"took {took(job_run.started_at, job_run.finished_at)}"
        )
        branch = "   " if last_job else "│  "
        for s, step in enumerate(job.step_runs):
            last_step = s == len(job.step_runs) - 1
            reason = f" ({step.cancel_reason.value})" if step.cancel_reason else ""
            label = _label(
                branch + ("└─ " if last_step else "├─ "), "step", step.step_id, label_width
            )
            lines.append(
                f"{label}  {_bar(bars[step.id], step.status.value)}  "
                f"{status_text(step.status.value)}{reason}  attempt {step.attempt}  "
                f"worker {short(step.worker_id)}  took {took(step.started_at, step.finished_at)}"
            )
            inner = branch + ("   " if last_step else "│  ")
            if step.id in waits:
                lines.append(f"{inner}{style(waits[step.id], fg='yellow')}")
            if verbose:
                lines += _value_lines(inner, "input", step.input)
                lines += _value_lines(inner, "output", step.output)
                if step.error:
                    lines += _value_lines(inner, "error", step.error)
    return lines


def _label(prefix: str, kind: str, name: str, width: int) -> str:
    """`├─ job NAME` padded to `width` cells (the padding is counted without colour codes)."""
    plain = f"{prefix}{kind} {name}"
    return f"{prefix}{kind} {style(name, bold=True)}{' ' * (width - len(plain))}"


def _bar(bar: Bar, status: str) -> str:
    """The bar's cells, the running part in the colour of `status` on a terminal."""
    parts = []
    for glyph, length in bar.segments():
        cells = glyph * length
        if glyph in {IDLE, QUEUED}:
            parts.append(style(cells, dim=True))
        else:
            parts.append(style(cells, fg=_STATUS_COLOURS.get(status)))
    return "".join(parts)


def _value_lines(indent: str, label: str, value: Any) -> list[str]:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    lines = text.splitlines() or [""]
    return [
        f"{indent}{style(label + ':', dim=True)} {lines[0]}",
        *(f"{indent}  {line}" for line in lines[1:]),
    ]
