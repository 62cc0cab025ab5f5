"""The targets of the benchmark issue, and the Markdown table `make bench` prints."""

from __future__ import annotations

from typing import Any

TARGET_RUNS_PER_S = 1000.0
TARGET_P50_MS = 5.0
TARGET_HELP_MS = 150.0
TARGET_PUSH_MS = 250.0
TARGET_HELP_OVER_BARE = 6.0
"""`hatchet --help` at most this many times a bare `python -c pass` (issue 13)."""


def lookup(data: dict[str, Any], *path: str) -> Any:
    """`data[path[0]][path[1]]…`, or None where the path ends early (a figure not measured)."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def targets(report: dict[str, Any]) -> dict[str, Any]:
    """Each target of the issue: the figure, the goal, met or not."""
    runs = lookup(report, "hatchet", "throughput", "runs_per_s")
    p50 = lookup(report, "hatchet", "latency", "push_to_start", "p50_ms")
    huey_runs = lookup(report, "huey", "throughput", "runs_per_s")
    huey_p50 = lookup(report, "huey", "latency", "push_to_start", "p50_ms")
    found: dict[str, Any] = {
        "runs_per_s": {"value": runs, "goal": f">= {TARGET_RUNS_PER_S:g}"},
        "push_to_start_p50_ms": {"value": p50, "goal": f"< {TARGET_P50_MS:g}"},
        "ahead_of_huey_runs_per_s": {"value": runs, "goal": f"> huey's {huey_runs}"},
        "ahead_of_huey_p50_ms": {"value": p50, "goal": f"< huey's {huey_p50}"},
    }
    checks = {
        "runs_per_s": runs is not None and runs >= TARGET_RUNS_PER_S,
        "push_to_start_p50_ms": p50 is not None and p50 < TARGET_P50_MS,
        "ahead_of_huey_runs_per_s": None if huey_runs is None else bool(runs and runs > huey_runs),
        "ahead_of_huey_p50_ms": None if huey_p50 is None else bool(p50 and p50 < huey_p50),
    }
    for key, met in checks.items():
        found[key]["met"] = met
    help_ms = lookup(report, "cli", "hatchet_help", "p50_ms")
    push_ms = lookup(report, "hatchet", "cli_push", "push", "p50_ms")
    found["cli_help_ms"] = {
        "value": help_ms,
        "goal": f"< {TARGET_HELP_MS:g}",
        "met": help_ms is not None and help_ms < TARGET_HELP_MS,
    }
    ratio = lookup(report, "cli", "help_over_bare")
    found["cli_help_over_bare"] = {
        "value": ratio,
        "goal": f"<= {TARGET_HELP_OVER_BARE:g}",
        "met": ratio is not None and ratio <= TARGET_HELP_OVER_BARE,
    }
    found["cli_push_ms"] = {
        "value": push_ms,
        "goal": f"< {TARGET_PUSH_MS:g}",
        "met": push_ms is not None and push_ms < TARGET_PUSH_MS,
    }
    found["nproc"] = lookup(report, "machine", "nproc")
    return found


def errors(report: Any, where: str = "") -> list[str]:
    """Every figure that could not be measured, as `path: error`."""
    if not isinstance(report, dict):
        return []
    found = [f"{where or 'run'}: {report['error']}"] if "error" in report else []
    for key, value in report.items():
        found += errors(value, f"{where}.{key}" if where else key)
    return found


def number(value: Any, unit: str = "") -> str:
    """A figure for the table: thousands separated, one decimal from 10 up, "—" if missing."""
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text}{unit}"


def percentiles(summary: Any) -> str:
    """ "p50 / p99 ms" of a `stats.summary_ms`."""
    if not isinstance(summary, dict) or not summary.get("n"):
        return "—"
    return f"{number(summary['p50_ms'])} / {number(summary['p99_ms'])} ms"


# (label, figure path in hatchet's results, in huey's, how to show it); None: no counterpart
_ROWS: list[tuple[str, tuple[str, ...], tuple[str, ...] | None, str]] = [
    (
        "one-step runs/s, end to end",
        ("throughput", "runs_per_s"),
        ("throughput", "runs_per_s"),
        "n",
    ),
    (
        "  commits per run",
        ("throughput", "commits_per_run"),
        ("throughput", "commits_per_run"),
        "n",
    ),
    (
        "  events pushed/s meanwhile",
        ("throughput", "pushed_per_s"),
        ("throughput", "pushed_per_s"),
        "n",
    ),
    (
        "  daemon (huey: consumer) CPU ms per run",
        ("throughput", "daemon_cpu_ms_per_run"),
        ("throughput", "consumer_cpu_ms_per_run"),
        "n",
    ),
    (
        "push → step start p50 / p99, low load",
        ("latency", "push_to_start"),
        ("latency", "push_to_start"),
        "pct",
    ),
    (
        "  same, from the trace (event created → step started)",
        ("latency", "push_to_start_trace"),
        None,
        "pct",
    ),
    ("  push acknowledged p50 / p99", ("latency", "push_ack"), ("latency", "push_ack"), "pct"),
    ("  commits per run", ("latency", "commits_per_run"), ("latency", "commits_per_run"), "n"),
    (
        "3-step chain: push → 3rd step start p50 / p99",
        ("chain", "push_to_third_start"),
        ("chain", "push_to_third_start"),
        "pct",
    ),
    ("3-step chain: push → run SUCCEEDED p50 / p99", ("chain", "push_to_succeeded"), None, "pct"),
    (
        "ingestion/s, single pushes",
        ("ingest_single", "events_per_s"),
        ("ingest_single", "events_per_s"),
        "n",
    ),
    (
        "  commits per event",
        ("ingest_single", "commits_per_event"),
        ("ingest_single", "commits_per_event"),
        "n",
    ),
    ("ingestion/s, bulk pushes", ("ingest_bulk", "events_per_s"), None, "n"),
    (
        "app path (public client): push → result p50 / p99, one at a time",
        ("app_path", "one_at_a_time", "push_to_result"),
        ("app_path", "one_at_a_time", "push_to_result"),
        "pct",
    ),
    (
        "  push acknowledged p50 / p99",
        ("app_path", "one_at_a_time", "push_ack"),
        ("app_path", "one_at_a_time", "push_ack"),
        "pct",
    ),
    (
        "  tasks/s, a burst pushed one per call, then every result",
        ("app_path", "burst", "tasks_per_s"),
        ("app_path", "burst", "tasks_per_s"),
        "n",
    ),
    (
        "  3-step chain: push → 3rd result p50 / p99, one at a time",
        ("app_path", "chain", "push_to_result"),
        ("app_path", "chain", "push_to_result"),
        "pct",
    ),
    ("hot reload: save → listed p50 / p99", ("hot_reload", "reload"), None, "pct"),
    (
        "RSS MiB, idle (daemon; huey: consumer)",
        ("memory_idle", "hatchetd", "rss_mib"),
        ("memory_idle", "consumer", "rss_mib"),
        "n",
    ),
    (
        "RSS MiB, after every figure",
        ("memory_after", "hatchetd", "rss_mib"),
        ("memory_after", "consumer", "rss_mib"),
        "n",
    ),
    (
        "other processes' CPU share, throughput figure",
        ("throughput", "cpu_elsewhere", "other_processes"),
        ("throughput", "cpu_elsewhere", "other_processes"),
        "n",
    ),
]


def _cell(results: dict[str, Any], path: tuple[str, ...] | None, kind: str) -> str:
    if path is None:
        return "—"
    value = lookup(results, *path)
    return percentiles(value) if kind == "pct" else number(value)


def markdown(report: dict[str, Any]) -> str:
    """One table, hatchet-cli beside huey, then the machine and the targets."""
    h = report.get("hatchet", {})
    p = report.get("huey", {})
    cli = report.get("cli", {})
    m = report.get("machine", {})
    fsync = m.get("fsync", {})
    lines = ["| figure | hatchet-cli | huey (SqliteHuey) |", "|---|---:|---:|"]
    for label, ours, theirs, kind in _ROWS:
        lines.append(f"| {label} | {_cell(h, ours, kind)} | {_cell(p, theirs, kind)} |")
    help_ms = number(lookup(cli, "hatchet_help", "p50_ms"), " ms")
    bare_ms = number(lookup(cli, "python_bare", "p50_ms"), " ms")
    lines.append(f"| `hatchet --help` p50 (bare `python -c pass`) | {help_ms} ({bare_ms}) | — |")
    ratio = number(lookup(cli, "help_over_bare"), " times")
    typer_ms = number(lookup(cli, "import_typer", "p50_ms"), " ms")
    lines.append(
        f"| `hatchet --help` ÷ bare `python -c pass`, pair by pair (`import typer` alone) "
        f"| {ratio} ({typer_ms}) | — |"
    )
    push_ms = number(lookup(h, "cli_push", "push", "p50_ms"), " ms")
    lines.append(f"| `hatchet events push` p50, start to exit | {push_ms} | — |")
    tui_ms = number(lookup(h, "tui", "first_paint", "p50_ms"), " ms")
    history = number(lookup(h, "tui", "history"))
    lines.append(f"| `hatchet tui` first paint p50, {history} events stored | {tui_ms} | — |")
    lines.append("")
    lines.append(
        f"Checkout {m.get('revision')}, huey {m.get('huey')}. "
        f"Machine: {m.get('nproc')} CPUs ({m.get('cpu_model')}), Python {m.get('python')}, "
        f"SQLite {m.get('sqlite')}, stores on {m.get('temp_fs')}; one SQLite WAL commit "
        f"(synchronous=FULL) {number(fsync.get('sqlite_commit_us'), ' µs')} = "
        f"{number(fsync.get('sqlite_wal_full_commits_per_s'))}/s, write+fsync 4 KiB "
        f"{number(fsync.get('fsync_4k_us'), ' µs')}; a 10-million-iteration Python loop "
        f"{number(m.get('python_loop_s'), ' s')}."
    )
    other = report.get("cpu_elsewhere", {})
    if other:
        lines[-1] += (
            f" During the run other processes used {number(100 * other['other_processes'], '%')}"
            f" of the machine's CPU, kernel threads {number(100 * other['kernel_threads'], '%')}"
            f" (load average {other['load_average_before']} before it)."
        )
    lines.append("")
    lines.append("| target | figure | goal | met |")
    lines.append("|---|---:|---|---|")
    for name, target in report.get("targets", {}).items():
        if isinstance(target, dict):
            met = {True: "yes", False: "**no**", None: "—"}[target.get("met")]
            lines.append(f"| {name} | {number(target.get('value'))} | {target['goal']} | {met} |")
    return "\n".join(lines)
