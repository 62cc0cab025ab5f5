"""The processes a benchmark starts: hatchetd, its worker, huey's consumer; their CPU and memory.

Every wait has a deadline; every process started here is stopped by its own handle.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

from bench.probe import STATS_FILE_VARIABLE

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
START_DEADLINE = 30.0
STOP_DEADLINE = 15.0
T = TypeVar("T")


class BenchError(RuntimeError):
    """Something the benchmark needs did not happen in time."""


def wait_for(
    check: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.005
) -> T:
    """Poll `check` until it returns something truthy; BenchError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Service:
    """A started process, its log file, and (optionally) the counters it writes on SIGUSR1."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    stats_file: Path | None = None
    wake: Callable[[], None] | None = None
    """Makes the process's main thread run (hatchetd's event loop sleeps in epoll otherwise)."""
    _seq: int = field(default=0)

    @property
    def pid(self) -> int:
        return self.process.pid

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise BenchError(f"{self.name} exited with {self.process.returncode}:\n{tail}")

    def counters(self, timeout: float = 10.0) -> dict[str, int]:
        """Ask the process for its counters (SIGUSR1) and wait for the fresh file."""
        if self.stats_file is None:
            return {}
        self.check_alive()
        self.process.send_signal(signal.SIGUSR1)
        stats_file = self.stats_file

        def fresh() -> dict[str, int] | None:
            if self.wake is not None:
                self.wake()
            try:
                data: dict[str, int] = json.loads(stats_file.read_text())
            except (OSError, ValueError):
                return None
            return data if data.get("seq", 0) > self._seq else None

        data = wait_for(fresh, timeout=timeout, what=f"{self.name}'s counters", interval=0.01)
        self._seq = data["seq"]
        return data

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def memory_mib(self) -> dict[str, float]:
        return memory_mib(self.pid)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Signal, wait up to STOP_DEADLINE, then kill; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start(
    name: str,
    args: list[str],
    directory: Path,
    env: Mapping[str, str],
    *,
    stats: bool = False,
) -> Service:
    """Start `args` with stdout and stderr to `directory/name.log`."""
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / f"{name}.log"
    environ = {**os.environ, **env}
    stats_file = directory / f"{name}.stats.json" if stats else None
    if stats_file is not None:
        environ[STATS_FILE_VARIABLE] = str(stats_file)
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=environ, cwd=ROOT
        )
    return Service(name, process, log, stats_file)


@dataclass
class Daemon:
    service: Service
    address: str
    folder: Path
    database: Path
    """The SQLite file, when the daemon runs on its default store (unused on PostgreSQL)."""


def start_hatchetd(
    directory: Path, workflows: Mapping[str, str], *, db_url: str | None = None
) -> Daemon:
    """hatchetd (with the commit probe) on a free port, with its own copy of `workflows`.

    Without `db_url` its store is the one shipped: the default `.hatchetd/hatchet.db` beside
    the watched folder, WAL, synchronous=FULL. With one (`postgresql://…`) it is a replica on
    that database."""
    folder = directory / "project" / ".hatchet"
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, text in workflows.items():
        (folder / file_name).write_text(text)
    db_args = ["--db", db_url] if db_url else []
    service = start(
        "hatchetd",
        [PYTHON, "-m", "bench.hatchetd_probe", "--dir", str(folder), "--port", "0", *db_args],
        directory,
        {"HATCHET_LOG_LEVEL": "WARNING"},
        stats=True,
    )

    def ready() -> str | None:
        service.check_alive()
        for line in service.log.read_text(errors="replace").splitlines():
            if " ready on " in line:
                return line.split(" ready on ", 1)[1].split(" ", 1)[0]
        return None

    try:
        address = wait_for(ready, timeout=START_DEADLINE, what="hatchetd's ready line")
    except BaseException:
        service.stop()
        raise
    service.wake = lambda: _ping(address)
    database = folder.parent / ".hatchetd" / "hatchet.db"
    return Daemon(service, address, folder, database)


def _ping(address: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(f"{address}/livez", timeout=2.0)


def start_worker(
    daemon: Daemon,
    directory: Path,
    *,
    slots: int,
    name: str = "bench-worker",
    starts: Path | None = None,
) -> Service:
    """The benchmark's SDK worker (`bench.worker`), once the daemon lists it ACTIVE. With
    `starts`, the worker appends every run its action starts to that file."""
    args = [PYTHON, "-m", "bench.worker", "--address", daemon.address, "--slots", str(slots)]
    args += ["--name", name, *(["--starts", str(starts)] if starts else [])]
    service = start(name, args, directory, {"HATCHET_LOG_LEVEL": "WARNING"})

    def registered() -> bool:
        service.check_alive()
        workers = httpx.get(f"{daemon.address}/api/v1/workers", timeout=5.0).json()
        return any(
            w["worker"]["name"] == name and w["worker"]["status"] == "ACTIVE" for w in workers
        )

    try:
        wait_for(registered, timeout=START_DEADLINE, what="the worker to register", interval=0.02)
    except BaseException:
        service.stop()
        raise
    return service


# -- /proc ----------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def memory_mib(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM), in MiB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values["rss_mib" if key == "VmRSS" else "peak_rss_mib"] = round(
                int(rest.split()[0]) / 1024, 1
            )
    return values
