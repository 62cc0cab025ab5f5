"""The panel under a run's trace: what the selected step run was given, returned, raised and
logged, and every attempt at its step.

`StepRun.error` holds the error message with the worker's traceback when the worker sent one
(the SDK does): the panel shows it whole. Logs come from `runs.logs`, which the trace view reads
with the trace.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from hatchet_cli._cells import short, trigger_text, when
from hatchet_cli.tui.waterfall_bar import elapsed, status_text

if TYPE_CHECKING:
    from hatchetd.contracts.runs import JobRun, StepLog, StepRun, WorkflowRun

__all__ = ["StepDetail"]


class StepDetail(VerticalScroll):
    """What the cursor is on in the trace: a step run in full, or a job run's or run's state."""

    DEFAULT_CSS = """
    StepDetail { height: 1fr; border-top: solid $primary; padding: 0 1; }
    """

    text: str = ""
    """What the panel shows, as plain text."""
    subject: str | None = None
    """The id of the run, job run or step run shown."""

    def compose(self) -> ComposeResult:
        yield Static(id="step-body")

    def on_mount(self) -> None:
        self.clear()

    def _show(self, *parts: Text, subject: str | None = None, tail: bool = False) -> None:
        """Show `parts` about `subject`: from its `tail` (a step still running: its newest log
        lines) or its top; shown again, it follows its tail while the panel is scrolled to the
        end, and stays put once the reader has scrolled up."""
        same = subject is not None and subject == self.subject
        at_end = self.scroll_y >= self.max_scroll_y
        self.subject = subject
        self.text = "\n".join(part.plain for part in parts)
        self.query_one("#step-body", Static).update(Group(*parts))
        if (same and at_end) or (not same and tail):
            self.scroll_end(animate=False)  # after the layout: the new end
        elif not same:
            self.scroll_home(animate=False)

    def show_step(
        self,
        step: StepRun,
        attempts: list[StepRun],
        logs: list[StepLog],
        now: datetime,
        *,
        waiting: str | None = None,
    ) -> None:
        """A step run: why it waits for a worker (`waiting`, from the trace), its attempt's
        input, output, error (with traceback) and log lines, then every attempt at the step;
        `logs` are the whole run's lines."""
        heading = Text.assemble(
            ("step ", "bold"),
            (step.step_id, "bold"),
            "  ",
            status_text(step.status.value),
            f"  attempt {step.attempt}  worker {short(step.worker_id)}  action {step.action}  ",
            elapsed(step.created_at, step.started_at, step.finished_at, now),
        )
        parts: list[Text] = [heading]
        if waiting:
            parts.append(Text(waiting, style="yellow"))
        if step.cancel_reason:
            parts.append(Text(f"cancelled: {step.cancel_reason.value}", style="yellow"))
        parts += _value("input", step.input)
        parts += _value("output", step.output)
        if step.error:
            parts.append(Text("error (with the worker's traceback, if it sent one):", "bold red"))
            parts.append(Text(step.error, style="red"))
        parts.append(Text("attempts:", style="bold"))
        for attempt in attempts:
            mark = "▶ " if attempt.id == step.id else "  "
            first_error = (attempt.error or "").splitlines()[:1]
            parts.append(
                Text.assemble(
                    f"{mark}#{attempt.attempt}  ",
                    status_text(attempt.status.value),
                    f"  worker {short(attempt.worker_id)}  created {attempt.created_at:%H:%M:%S}  ",
                    elapsed(attempt.created_at, attempt.started_at, attempt.finished_at, now),
                    (f"  {first_error[0][:30]}" if first_error else "", "red"),
                )
            )
        lines = [log for log in logs if log.step_run_id == step.id]
        parts.append(Text(f"logs of attempt {step.attempt}:", style="bold"))
        if not lines:
            parts.append(Text("  (none)", style="dim"))
        for log in lines:
            parts.append(Text.assemble((f"  {log.at:%H:%M:%S.%f}"[:-3] + "  ", "dim"), log.line))
        self._show(*parts, subject=step.id, tail=not step.status.is_final)

    def show_job(self, job: JobRun, now: datetime) -> None:
        parts: list[Text] = [
            Text.assemble(
                ("job ", "bold"),
                (job.job_name, "bold"),
                "  ",
                status_text(job.status.value),
                f"  {elapsed(job.created_at, job.started_at, job.finished_at, now)}",
            )
        ]
        if job.error:
            parts.append(Text(job.error, style="red"))
        parts.append(Text("Select one of its steps for its input, output and logs.", "dim"))
        self._show(*parts, subject=job.id)

    def show_run(self, run: WorkflowRun, now: datetime) -> None:
        trigger = trigger_text(run, full_ids=True)
        parts: list[Text] = [
            Text.assemble(
                ("run ", "bold"),
                run.id,
                "  ",
                status_text(run.status.value),
                f"  {trigger}  created {when(run.created_at)}  ",
                elapsed(run.created_at, run.started_at, run.finished_at, now),
            )
        ]
        if run.error:
            parts.append(Text(run.error, style="red"))
        self._show(*parts, subject=run.id)

    def clear(self) -> None:
        self._show(Text("Select a step to see its input, output, error and logs.", "dim"))


def _value(label: str, value: Any) -> list[Text]:
    """`label: value` on one line when the value's JSON is short, else indented below it."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) <= 80 and "\n" not in text:
        return [Text.assemble((f"{label}: ", "bold"), text)]
    if not isinstance(value, str):
        text = json.dumps(value, indent=2, ensure_ascii=False)
    return [Text(f"{label}:", style="bold"), Text(text)]
