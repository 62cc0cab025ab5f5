"""`make bench`: hatchet-cli's benchmark (design §11), with its peers doing the same work.

    python -m bench.run [--quick] [--runs N] [--only SECTION] [--pg-replicas 1,2,3]
                        [--pg-url URL] [--json FILE] [--keep]

Starts a real hatchetd on its default SQLite store in a temporary directory, a real SDK worker,
then huey's consumer on a SqliteHuey database beside it. Then the PostgreSQL section: hatchetd
with 1, 2 and 3 replicas, then procrastinate, each on a fresh database of the same server
(skipped, saying why, when the server cannot be reached). Prints progress on stderr, then the
figures as JSON and as Markdown tables on stdout. docs/benchmarks.md explains every figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import hatchet_bench, huey_bench, pg_bench, pg_report, pg_server, report, stats
from bench.config import QUICK, Config
from bench.procs import ROOT

SECTIONS = {
    "hatchet": {"hatchet"},
    "huey": {"huey"},
    "pg": {"pg-hatchet", "procrastinate"},
    "pg-hatchet": {"pg-hatchet"},
    "procrastinate": {"procrastinate"},
}
"""What each `--only` choice measures; without it, everything."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def startup(runs: int) -> dict[str, Any]:
    """Wall time of `hatchet --help` beside a bare `python -c pass` of the same interpreter,
    run in turn (A B A B ...) so that the ratio, taken pair by pair, survives the machine's
    speed drifting; and `import typer` alone, the floor under any Typer command line."""
    bin_dir = Path(sys.executable).parent
    commands = {
        "hatchet_help": [str(bin_dir / "hatchet"), "--help"],
        "python_bare": [sys.executable, "-c", "pass"],
        "import_typer": [sys.executable, "-c", "import typer.main"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs + 1):  # the first round warms the file cache, and is not counted
        for name, command in commands.items():
            started = time.perf_counter()
            done = subprocess.run(
                command, capture_output=True, text=True, check=False, timeout=30, cwd=ROOT
            )
            if done.returncode != 0:
                return {name: {"error": f"exit {done.returncode}: {done.stderr[-500:]}"}}
            times[name].append(time.perf_counter() - started)
    figures: dict[str, Any] = {name: stats.summary_ms(each[1:]) for name, each in times.items()}
    ratios = [
        help_s / bare_s
        for help_s, bare_s in zip(times["hatchet_help"][1:], times["python_bare"][1:], strict=True)
    ]
    figures["help_over_bare"] = round(stats.percentile(ratios, 50), 2)
    return figures


def pg_section(cfg: Config, temp: Path, systems: set[str]) -> dict[str, Any]:
    """hatchetd at each replica count, then procrastinate, each on a fresh database of the
    server at `cfg.pg_url`; `{"skipped": why}` when that server cannot be reached."""
    why = pg_server.unreachable(cfg.pg_url)
    if why is not None:
        log(f"skipping the PostgreSQL section: {why} (set --pg-url)")
        return {"skipped": why}
    result: dict[str, Any] = {
        "server": pg_server.server(cfg.pg_url),
        "slots": cfg.pg_slots,
        "procrastinate_version": stats.version_of("procrastinate"),
    }
    with pg_server.fresh_database(cfg.pg_url, "probe") as url:
        result["server"]["round_trips"] = pg_server.round_trips(url)
    for replicas in cfg.pg_replicas if "pg-hatchet" in systems else ():

        def measure(replicas: int = replicas) -> dict[str, Any]:
            with pg_server.fresh_database(cfg.pg_url, f"x{replicas}") as url:
                return pg_bench.run(cfg, temp / f"pg-x{replicas}", url, replicas, log)

        result[f"hatchetd_x{replicas}"] = stats.measured(measure, log)
    if "procrastinate" in systems:
        # Imported here: procrastinate is a benchmark requirement, not the project's.
        from bench import procrastinate_bench

        def peer() -> dict[str, Any]:
            with pg_server.fresh_database(cfg.pg_url, "procrastinate") as url:
                return procrastinate_bench.run(cfg, temp / "procrastinate", url, log)

        result["procrastinate"] = stats.measured(peer, log)
    result["targets"] = pg_report.targets(result)
    return result


def options(argv: list[str] | None) -> tuple[argparse.Namespace, Config, set[str]]:
    """The command line: its options, the configuration they make, the systems to measure."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="less work: a smoke run")
    parser.add_argument("--runs", type=int, help="one-step runs for the throughput figure")
    parser.add_argument(
        "--only",
        choices=tuple(SECTIONS),
        help="measure one section or system only (pg: hatchetd on PostgreSQL and procrastinate)",
    )
    parser.add_argument("--huey-workers", type=int, help="huey consumer threads (default 4)")
    parser.add_argument(
        "--pg-replicas",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        help="hatchetd replica counts on PostgreSQL, comma-separated (default 1,2,3)",
    )
    parser.add_argument(
        "--pg-slots", type=int, help="worker slots in total on PostgreSQL (default 12)"
    )
    parser.add_argument("--pg-url", help=f"the PostgreSQL server (default {Config.pg_url})")
    parser.add_argument("--json", type=Path, help="also write the JSON report to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else Config()
    if args.runs:
        cfg = replace(cfg, runs=args.runs)
    if args.huey_workers:
        cfg = replace(cfg, huey_workers=args.huey_workers)
    if args.pg_replicas:
        cfg = replace(cfg, pg_replicas=args.pg_replicas)
    if args.pg_slots:
        cfg = replace(cfg, pg_slots=args.pg_slots)
    if args.pg_url:
        cfg = replace(cfg, pg_url=args.pg_url)
    systems = SECTIONS[args.only] if args.only else set().union(*SECTIONS.values())
    return args, cfg, systems


def measure(cfg: Config, systems: set[str], temp: Path) -> dict[str, Any]:
    """Every figure of `systems`, in the order the sections come."""
    result: dict[str, Any] = {"machine": stats.machine(temp, ROOT), "config": asdict(cfg)}
    if "hatchet" in systems:
        result["hatchet"] = stats.measured(
            lambda: hatchet_bench.run(cfg, temp / "hatchet", log), log
        )
    if "huey" in systems:
        result["huey"] = stats.measured(lambda: huey_bench.run(cfg, temp / "huey", log), log)
    if systems & {"hatchet", "huey"}:
        log("hatchet --help")
        result["cli"] = startup(cfg.startup_runs)
        result["targets"] = report.targets(result)
    if systems & SECTIONS["pg"]:
        result["pg"] = pg_section(cfg, temp, systems)
    return result


def main(argv: list[str] | None = None) -> int:
    args, cfg, systems = options(argv)
    temp = Path(tempfile.mkdtemp(prefix="hatchet-bench-"))
    started = time.monotonic()
    load_before = stats.load_average()
    # PostgreSQL's processes serve the PG section's systems: theirs is not CPU used elsewhere.
    elsewhere = stats.Elsewhere([], names=("postgres",) if systems & SECTIONS["pg"] else ())
    try:
        log(f"machine and fsync cost, in {temp}")
        result = measure(cfg, systems, temp)
        result["elapsed_s"] = round(time.monotonic() - started, 1)
        result["cpu_elsewhere"] = {"load_average_before": load_before, **elsewhere.shares()}
    finally:
        if args.keep:
            log(f"kept {temp}")
        else:
            shutil.rmtree(temp, ignore_errors=True)
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    sqlite = bool(systems & {"hatchet", "huey"})
    if sqlite:
        print()
        print(report.markdown(result))
    if "pg" in result:
        print()
        print(pg_report.markdown(result["pg"], result["machine"]))
    failures = report.errors(result)
    if not sqlite and "skipped" in result.get("pg", {}):
        failures.append(f"pg: {result['pg']['skipped']}")  # nothing else was asked for
    for failure in failures:
        log(f"not measured: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
