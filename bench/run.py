"""`make bench`: hatchet-cli's benchmark (design §11), with huey doing the same work.

    python -m bench.run [--quick] [--runs N] [--only hatchet|huey] [--json FILE] [--keep]

Starts a real hatchetd on its default SQLite store in a temporary directory, a real SDK worker,
then huey's consumer on a SqliteHuey database beside it; prints progress on stderr, then the
figures as JSON and as a Markdown table on stdout. docs/benchmarks.md explains every figure.
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

from bench import hatchet_bench, huey_bench, report, stats
from bench.config import QUICK, Config
from bench.procs import ROOT


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def startup(runs: int) -> dict[str, Any]:
    """Wall time of `hatchet --help`, beside a bare `python -c pass`."""
    bin_dir = Path(sys.executable).parent
    commands = {
        "hatchet_help": [str(bin_dir / "hatchet"), "--help"],
        "python_bare": [sys.executable, "-c", "pass"],
    }
    figures: dict[str, Any] = {}
    for name, command in commands.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(
                command, capture_output=True, text=True, check=False, timeout=30, cwd=ROOT
            )
            if done.returncode != 0:
                figures[name] = {"error": f"exit {done.returncode}: {done.stderr[-500:]}"}
                break
            times.append(time.perf_counter() - started)
        else:
            figures[name] = stats.summary_ms(times)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="less work: a smoke run")
    parser.add_argument("--runs", type=int, help="one-step runs for the throughput figure")
    parser.add_argument("--only", choices=("hatchet", "huey"), help="measure one system only")
    parser.add_argument("--huey-workers", type=int, help="huey consumer threads (default 4)")
    parser.add_argument("--json", type=Path, help="also write the JSON report to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else Config()
    if args.runs:
        cfg = replace(cfg, runs=args.runs)
    if args.huey_workers:
        cfg = replace(cfg, huey_workers=args.huey_workers)
    temp = Path(tempfile.mkdtemp(prefix="hatchet-bench-"))
    started = time.monotonic()
    load_before = stats.load_average()
    elsewhere = stats.Elsewhere([])
    try:
        log(f"machine and fsync cost, in {temp}")
        result: dict[str, Any] = {"machine": stats.machine(temp, ROOT), "config": asdict(cfg)}
        if args.only != "huey":
            result["hatchet"] = stats.measured(
                lambda: hatchet_bench.run(cfg, temp / "hatchet", log), log
            )
        if args.only != "hatchet":
            result["huey"] = stats.measured(lambda: huey_bench.run(cfg, temp / "huey", log), log)
        log("hatchet --help")
        result["cli"] = startup(cfg.help_runs)
        result["targets"] = report.targets(result)
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
    print()
    print(report.markdown(result))
    failures = report.errors(result)
    for failure in failures:
        log(f"not measured: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
