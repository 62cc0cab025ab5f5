"""A real daemon for the CLI: the app of `hatchetd` served by uvicorn on a free port in a thread
of the test process; `hatchet --address ...` talks to it over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hatchet_cli.cli.app import app
from hatchet_cli.sdk import Worker
from tests.live import free_port, run_worker, serve_daemon

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


@dataclass
class Hatchet:
    """Runs `hatchet ...` against the in-process daemon."""

    address: str

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(app, ["--address", self.address, *args], input=stdin)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HATCHET_ADDRESS", "HATCHET_TOKEN", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hatchet(tmp_path: Path) -> Iterator[Hatchet]:
    with serve_daemon(tmp_path) as address:
        yield Hatchet(address)


@pytest.fixture
def closed_address() -> str:
    """An address nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


def normalise(text: str) -> str:
    """Text with ids and times replaced by stable placeholders, each id by its order of
    appearance (`<id1>`, `<id2>`, ...)."""
    seen: dict[str, str] = {}

    def name(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"<id{len(seen) + 1}>")

    return TIME.sub("<time>", UUID.sub(name, text))


@pytest.fixture
def sign_up_worker(hatchet: Hatchet) -> Iterator[Worker]:
    """A real SDK worker, in a thread, serving the sign-up workflow's three actions; each logs a
    line and returns its input."""
    with run_worker(hatchet.address, name="cli-test-worker") as worker:
        yield worker
