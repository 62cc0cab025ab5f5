"""The PG section's targets (issue 11) and its Markdown table: hatchetd at each replica count
beside procrastinate, all from one run."""

from __future__ import annotations

from typing import Any

from bench.report import lookup, number, percentiles

TARGET_TIMES_PROCRASTINATE = 3.0
"""hatchetd on one replica must finish one-step runs at least this many times procrastinate's
tasks per second."""


def hatchet_columns(pg: dict[str, Any]) -> list[str]:
    """The section's hatchetd results, by replica count: `hatchetd_x1`, `hatchetd_x2`, …"""
    return sorted((k for k in pg if k.startswith("hatchetd_x")), key=lambda k: int(k[10:]))


def targets(pg: dict[str, Any]) -> dict[str, Any]:
    """No loss, no double execution, and one replica at least 3 times procrastinate's
    throughput."""
    found: dict[str, Any] = {}
    for column in hatchet_columns(pg):
        once = lookup(pg, column, "exactly_once")
        ok = None if not isinstance(once, dict) or "error" in once else once.get("exactly_once")
        found[f"{column}_exactly_once"] = {
            "value": once.get("executions_per_run") if isinstance(once, dict) else None,
            "goal": "every event stored, one run each, one SUCCEEDED step run and one call each",
            "met": ok,
        }
    ours = lookup(pg, "hatchetd_x1", "throughput", "runs_per_s")
    theirs = lookup(pg, "procrastinate", "throughput", "runs_per_s")
    batched = lookup(pg, "procrastinate", "throughput_batch", "runs_per_s")
    goal = TARGET_TIMES_PROCRASTINATE
    found["one_replica_vs_procrastinate"] = {
        "value": round(ours / theirs, 2) if ours and theirs else None,
        "goal": f">= {goal:g} times procrastinate's {theirs} tasks/s (one defer per call)",
        "met": None if not (ours and theirs) else ours >= goal * theirs,
    }
    found["one_replica_vs_procrastinate_batch"] = {
        "value": round(ours / batched, 2) if ours and batched else None,
        "goal": f">= {goal:g} times procrastinate's {batched} tasks/s (batch_defer)",
        "met": None if not (ours and batched) else ours >= goal * batched,
    }
    return found


# (label, path in a hatchetd column, path in procrastinate's, how to show it)
_ROWS: list[tuple[str, tuple[str, ...] | None, tuple[str, ...] | None, str]] = [
    (
        "one-step runs/s, end to end",
        ("throughput", "runs_per_s"),
        ("throughput", "runs_per_s"),
        "n",
    ),
    ("  procrastinate with batch_defer", None, ("throughput_batch", "runs_per_s"), "n"),
    (
        "  events pushed/s meanwhile (procrastinate: deferred)",
        ("throughput", "pushed_per_s"),
        ("throughput", "pushed_per_s"),
        "n",
    ),
    ("  daemons' CPU ms per run", ("throughput", "daemon_cpu_ms_per_run"), None, "n"),
    (
        "  workers' CPU ms per run",
        ("throughput", "worker_cpu_ms_per_run"),
        ("throughput", "worker_cpu_ms_per_run"),
        "n",
    ),
    (
        "  PostgreSQL's CPU ms per run",
        ("throughput", "postgres_cpu_ms_per_run"),
        ("throughput", "postgres_cpu_ms_per_run"),
        "n",
    ),
    ("  daemons' commits per run", ("throughput", "commits_per_run"), None, "n"),
    (
        "push → step start p50 / p99, low load (procrastinate: defer → task start)",
        ("latency", "push_to_start"),
        ("latency", "push_to_start"),
        "pct",
    ),
    (
        "  same, from the store (event created → step started; deferred → started)",
        ("latency", "push_to_start_trace"),
        ("latency", "push_to_start_trace"),
        "pct",
    ),
    (
        "  push (defer) acknowledged p50 / p99",
        ("latency", "push_ack"),
        ("latency", "push_ack"),
        "pct",
    ),
    ("runs (tasks) stored / pushed", None, None, "stored"),
    ("  runs with exactly one SUCCEEDED step run", None, None, "succeeded"),
    ("  runs executed exactly once by the workers", None, None, "executed"),
    ("daemon log lines: ERROR / Traceback / collided", None, None, "logs"),
    (
        "other processes' CPU share, throughput figure",
        ("throughput", "cpu_elsewhere", "other_processes"),
        ("throughput", "cpu_elsewhere", "other_processes"),
        "n",
    ),
]


def _special(results: dict[str, Any], kind: str) -> str:
    once = results.get("exactly_once", {})
    if kind == "logs":
        marks = results.get("log_lines")
        return " / ".join(str(n) for n in marks.values()) if isinstance(marks, dict) else "—"
    if not isinstance(once, dict) or "events_pushed" not in once:
        return "—"
    pushed = once["events_pushed"]
    if kind == "stored":
        return f"{number(once.get('runs_stored'))} / {number(pushed)}"
    histogram = once.get(
        "succeeded_step_runs_per_run" if kind == "succeeded" else "executions_per_run"
    )
    if not isinstance(histogram, dict):
        return "—"
    others = {n: runs for n, runs in histogram.items() if n != "1"}
    text = f"{number(histogram.get('1', 0))} / {number(pushed)}"
    return text + (f" (others: {others})" if others else "")


def _cell(results: Any, path: tuple[str, ...] | None, kind: str) -> str:
    if not isinstance(results, dict):
        return "—"
    if kind in ("stored", "succeeded", "executed", "logs"):
        if kind == "succeeded" and "replicas" not in results:
            return "—"  # procrastinate has no step runs
        if kind == "logs" and "replicas" not in results:
            return "—"
        return _special(results, kind)
    if path is None:
        return "—"
    value = lookup(results, *path)
    return percentiles(value) if kind == "pct" else number(value)


def markdown(pg: dict[str, Any], machine: dict[str, Any]) -> str:
    """hatchetd at each replica count beside procrastinate, then the section's targets."""
    if "skipped" in pg:
        return f"PostgreSQL section skipped: {pg['skipped']}"
    columns = hatchet_columns(pg)
    names = [f"hatchetd, {c[10:]} replica{'s' * (c != 'hatchetd_x1')}" for c in columns]
    names.append("procrastinate")
    lines = [
        "| figure | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for label, ours, theirs, kind in _ROWS:
        cells = [_cell(pg.get(c), ours, kind) for c in columns]
        cells.append(_cell(pg.get("procrastinate"), theirs, kind))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    server = pg.get("server", {})
    peer = pg.get("procrastinate", {})
    lines.append("")
    trips = server.get("round_trips", {})
    lines.append(
        f"PostgreSQL {server.get('server_version')} (synchronous_commit="
        f"{server.get('synchronous_commit')}, fsync={server.get('fsync')}; `SELECT 1` "
        f"{number(trips.get('select_p50_us'), ' µs')}, a one-row commit "
        f"{number(trips.get('commit_p50_us'), ' µs')} p50); "
        f"procrastinate {pg.get('procrastinate_version')}; "
        f"{pg.get('slots')} worker slots in total (procrastinate: concurrency "
        f"{number(peer.get('concurrency') if isinstance(peer, dict) else None)}). "
        f"{machine.get('nproc')} CPUs; a 10-million-iteration Python loop "
        f"{number(machine.get('python_loop_s'), ' s')}."
    )
    lines.append("")
    lines.append("| target | figure | goal | met |")
    lines.append("|---|---:|---|---|")
    for name, target in pg.get("targets", {}).items():
        met = {True: "yes", False: "**no**", None: "—"}[target.get("met")]
        lines.append(f"| {name} | {number(target.get('value'))} | {target['goal']} | {met} |")
    return "\n".join(lines)
