"""Figures: percentiles, the machine the benchmark ran on, and what one fsynced commit costs."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

FSYNC_COMMITS = 1000
FSYNC_SECONDS = 5.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """n, p50, p99, mean, min and max of durations given in seconds, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
    }


def measured(figure: Callable[[], dict[str, Any]], log: Callable[[str], None]) -> dict[str, Any]:
    """The figure, or `{"error": …}` when it could not be measured: one broken figure (a
    timeout, a refused request) must not lose the others."""
    try:
        return figure()
    except Exception as exc:
        log(f"  failed: {type(exc).__name__}: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}"}


def rate(count: int, seconds: float) -> float:
    """count / seconds, rounded; 0 when no time passed."""
    return round(count / seconds, 1) if seconds > 0 else 0.0


# -- the machine -----------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def filesystem_of(path: Path) -> str:
    """The type of the filesystem `path` lives on (ext4, tmpfs, …), from /proc/mounts."""
    best, kind = "", "unknown"
    target = str(path.resolve())
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point = fields[1]
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) > len(best):
            best, kind = mount_point, fields[2]
    return kind


def memory_total_mib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def revision(root: Path) -> str | None:
    """The checkout measured: `git describe --always --dirty`, if git can tell."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            cwd=root,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def version_of(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine(temp_dir: Path, root: Path) -> dict[str, Any]:
    """What the figures depend on: CPUs, Python, SQLite, the disk's fsync cost, the checkout."""
    return {
        "revision": revision(root),
        "hatchet_cli": version_of("hatchet-cli"),
        "huey": version_of("huey"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "memory_mib": memory_total_mib(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "temp_dir": str(temp_dir),
        "temp_fs": filesystem_of(temp_dir),
        "fsync": measure_fsync(temp_dir),
        "python_loop_s": python_loop_s(),
    }


def python_loop_s() -> float:
    """Seconds for `for _ in range(10_000_000): pass`, the best of 3: how fast this machine
    runs Python now. On a shared virtual machine it drifts from day to day, even within a run
    (docs/benchmarks.md), which is why figures compare only within one run."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(10_000_000):
            pass
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def measure_fsync(directory: Path) -> dict[str, float]:
    """One-row SQLite commits in WAL mode with synchronous=FULL (what hatchetd runs), and the
    raw cost of `write` + `fsync` of 4 KiB, on the filesystem the benchmark's stores use."""
    path = directory / "fsync-probe.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        done = 0
        start = time.perf_counter()
        deadline = start + FSYNC_SECONDS
        while done < FSYNC_COMMITS and time.perf_counter() < deadline:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (v) VALUES (?)", ("x" * 100,))
            conn.execute("COMMIT")
            done += 1
        sqlite_s = time.perf_counter() - start
    finally:
        conn.close()
    raw = directory / "fsync-probe.bin"
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        syncs = 0
        start = time.perf_counter()
        deadline = start + FSYNC_SECONDS
        while syncs < FSYNC_COMMITS and time.perf_counter() < deadline:
            os.write(fd, b"x" * 4096)
            os.fsync(fd)
            syncs += 1
        raw_s = time.perf_counter() - start
    finally:
        os.close(fd)
    for leftover in directory.glob("fsync-probe*"):
        leftover.unlink()
    return {
        "sqlite_wal_full_commits_per_s": rate(done, sqlite_s),
        "sqlite_commit_us": round(sqlite_s / done * 1e6, 1),
        "fsync_4k_us": round(raw_s / syncs * 1e6, 1),
    }


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


_KTHREAD = 0x00200000  # PF_KTHREAD in /proc/PID/stat's flags


def _processes() -> dict[int, tuple[float, bool, str]]:
    """Every process: (CPU seconds of it and of its waited-for children, is a kernel thread,
    its name)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[float, bool, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, _, tail = (entry / "stat").read_text().rpartition(")")
        except OSError:
            continue  # gone meanwhile
        fields = tail.split()
        cpu = sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
        name = head.partition("(")[2]
        found[int(entry.name)] = (cpu, bool(int(fields[6]) & _KTHREAD), name)
    return found


def cpu_seconds_named(name: str) -> float:
    """CPU so far of every process called `name`, those that already exited included when
    their parent reaped them (their time is then in its children's fields)."""
    return sum(cpu for cpu, _, found in _processes().values() if found == name)


class Elsewhere:
    """CPU the machine spent outside the benchmark while one figure was measured, split into
    other processes (someone else's work: the figure is noisy) and kernel threads (mostly the
    filesystem journal and writeback that the benchmark's own fsyncs cause).

    `names`: processes of these names are the benchmark's too, whatever their pid (PostgreSQL's
    backends come and go with the connections of the system measured)."""

    def __init__(self, pids: Sequence[int], names: Sequence[str] = ()) -> None:
        self._ours = {os.getpid(), *pids}
        self._names = set(names)
        self._start = time.monotonic(), _processes()

    def shares(self) -> dict[str, float]:
        """Of all the CPU time the machine had since the start, the shares used elsewhere."""
        t0, before = self._start
        after = _processes()
        capacity = (time.monotonic() - t0) * len(os.sched_getaffinity(0))
        other = kernel = 0.0
        for pid, (cpu, is_kernel, name) in after.items():
            if pid in self._ours or name in self._names:
                continue
            used = cpu - before.get(pid, (0.0, False, ""))[0]
            if is_kernel:
                kernel += used
            else:
                other += used
        if capacity <= 0:
            return {"other_processes": 0.0, "kernel_threads": 0.0}
        # A parent reaping a child adds the child's whole life to its own figure: cap at 100 %.
        return {
            "other_processes": round(min(other / capacity, 1.0), 3),
            "kernel_threads": round(min(kernel / capacity, 1.0), 3),
        }
