"""`hatchet status`: is the daemon up, and what is it doing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from hatchet_cli._cells import took, when
from hatchet_cli.cli.connection import connect, daemon_errors, to_json
from hatchet_cli.cli.output import OutputFormat, data, emit, output_option, style

STATUS_HELP = "\n\n".join(
    [
        "Show the daemon's address, version, store, folder, uptime, workers, queue depth, and "
        "its place among the daemons sharing the store (leader or follower).",
        "Then one unserved: line per action that active workflows call and no "
        "connected worker registered, with those workflows: their steps wait for a worker "
        "(until their schedule_timeout) — start one that registers the action, or fix its "
        "name.",
        "Exits 5, naming the command that starts it (hatchetd), when the daemon does not answer.",
        "Examples:",
        "\b\n  hatchet status\n"
        "  hatchet status -o json | jq .queue_depth\n"
        "  hatchet status -o json | jq -r '.unserved_actions[].action'\n"
        "  hatchet --address http://10.0.0.5:7070 status",
    ]
)


def status(
    ctx: typer.Context,
    output: Annotated[OutputFormat, output_option("the address")] = OutputFormat.table,
) -> None:
    """Show what the daemon is doing (see STATUS_HELP)."""
    with daemon_errors(), connect(ctx) as client:
        current = client.status()

    def table() -> None:
        uptime = took(current.started_at, datetime.now(UTC))
        for label, value in [
            ("address", current.address),
            ("version", current.version),
            ("store", current.store),
            ("folder", current.folder),
            ("started", f"{when(current.started_at)} (up {uptime})"),
            ("workers", str(current.workers)),
            ("queue depth", str(current.queue_depth)),
            ("replica", _replica(current.replica_id, current.leader, current.replicas)),
        ]:
            data(f"{style(f'{label}:'.ljust(13), bold=True)}{value}")
        for line in current.folder_drift:
            data(f"{style('drift:'.ljust(13), bold=True)}{line}")
        for unserved in current.unserved_actions:
            workflows = ", ".join(unserved.workflows)
            data(
                f"{style('unserved:'.ljust(13), bold=True)}"
                f"{style(unserved.action, fg='yellow')} ({workflows}): no connected worker "
                "serves it; its steps wait for one"
            )

    emit(output, to_json(current), [current.address], table)


def _replica(replica_id: str, leader: bool, replicas: int) -> str:
    role = "leader" if leader else "follower"
    others = "alone on its store" if replicas <= 1 else f"one of {replicas} sharing its store"
    return f"{replica_id[:8]} ({role}, {others})"
