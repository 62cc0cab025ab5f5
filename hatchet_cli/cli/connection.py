"""What the commands that talk to the daemon share: where it is, how its errors become exit
codes, and how data flags and times are read.

The root command stores a `Connection` in the Typer context; a command opens its client with
`connect(ctx)` inside `daemon_errors()`, which turns every failure into one line on stderr and the
exit code of design §10. The HTTP client and the contracts are imported when a command runs,
never when `hatchet --help` does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hatchet_cli.cli.output import ExitCode, fail

if TYPE_CHECKING:
    from hatchet_cli.client import Client

DEFAULT_ADDRESS = "http://127.0.0.1:7070"
"""Kept equal to `hatchet_cli.client.DEFAULT_ADDRESS` (not imported: that loads the HTTP client)."""


@dataclass(frozen=True)
class Connection:
    """Where the daemon is: the root options, handed to every command through `ctx.obj`."""

    address: str = DEFAULT_ADDRESS
    token: str | None = None


def connect(ctx: typer.Context, *, retry_for: float | None = None) -> Client:
    """A client of the daemon the root options name; close it (`with connect(ctx) as client`).
    `retry_for` bounds its pushes' retries (the client's default when None)."""
    from hatchet_cli.client import Client

    connection = ctx.find_object(Connection) or Connection()
    if retry_for is None:
        return Client(connection.address, connection.token)
    return Client(connection.address, connection.token, retry_for=retry_for)


# The exit code for each HTTP status the daemon answers with; other 4xx are invalid input.
_STATUS_CODES = {401: ExitCode.AUTH, 403: ExitCode.AUTH, 404: ExitCode.NOT_FOUND}


@contextmanager
def daemon_errors() -> Iterator[None]:
    """Turn the client's errors into one `error: ...` line on stderr and design §10's exit code."""
    from hatchet_cli.client import DaemonNotAnswering, DaemonUnreachable, HatchetError

    try:
        yield
    except DaemonNotAnswering as exc:  # before its base class: it means something else
        fail(str(exc), ExitCode.NO_ANSWER)
    except DaemonUnreachable as exc:
        fail(str(exc), ExitCode.UNREACHABLE)
    except HatchetError as exc:
        # Not hatchetd at the address: as good as no daemon there (not "not found" for its 404).
        code = ExitCode.UNREACHABLE if exc.code == "not_hatchetd" else _STATUS_CODES.get(exc.status)
        if code is None:
            code = ExitCode.INVALID_INPUT if 400 <= exc.status < 500 else ExitCode.ERROR
        hint = (
            " (give the daemon's token: --token or HATCHET_TOKEN)" if code is ExitCode.AUTH else ""
        )
        fail(f"{exc.message}{hint}", code)


def read_data(value: str, option: str = "--data") -> dict[str, Any]:
    """The JSON object a data flag names: literal JSON, `@file`, or `-` for stdin.

    Anything else (bad JSON, a missing file, JSON that is not an object) exits 6 with one line.
    """
    if value == "-":
        text, where = sys.stdin.read(), "stdin"
    elif value.startswith("@"):
        path = Path(value[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            fail(f"{option}: no such file: {path}", ExitCode.INVALID_INPUT)
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{option}: cannot read {path}: {exc}", ExitCode.INVALID_INPUT)
        where = str(path)
    else:
        text, where = value, "the value"
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(
            f"{option}: invalid JSON in {where}: {exc.msg} at line {exc.lineno} column {exc.colno}",
            ExitCode.INVALID_INPUT,
        )
    if not isinstance(parsed, dict):
        fail(
            f"{option}: expected a JSON object, got {type(parsed).__name__}", ExitCode.INVALID_INPUT
        )
    return parsed


def parse_time(value: str | None, option: str, *, now: datetime | None = None) -> datetime | None:
    """A time flag: RFC 3339 (`2026-05-01T12:00:00Z`), or a duration back from `now` (`1h`,
    `30m`, `2h30m`). A time without a zone is UTC."""
    if value is None:
        return None
    from hatchetd.contracts.duration import DurationError, parse_duration

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            seconds = parse_duration(value)
        except DurationError:
            fail(
                f"{option}: expected an RFC 3339 time (2026-05-01T12:00:00Z) or a duration "
                f"(1h, 30m), got '{value}'",
                ExitCode.INVALID_INPUT,
            )
        return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_json(value: Any) -> Any:
    """A contracts model (or a list of them) as the JSON-compatible value the API sends."""
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value.model_dump(mode="json")
