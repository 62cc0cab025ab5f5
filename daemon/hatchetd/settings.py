"""hatchetd's settings: flags, each also from the environment (design §7)."""

from __future__ import annotations

import argparse
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from hatchetd import __version__

DEFAULT_DIR = ".hatchet"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7070
STATE_DIR_NAME = ".hatchetd"


class SettingsError(Exception):
    """The settings given cannot work together."""


@dataclass(frozen=True)
class Settings:
    """Everything hatchetd needs to start."""

    folder: Path
    """The watched workflow folder."""
    database_url: str
    """Where the store lives."""
    host: str
    """The interface to listen on."""
    port: int
    """The port to listen on; 0 picks a free one (the ready line names it)."""
    token: str | None
    """When set, every route and the worker socket require `Authorization: Bearer <token>`."""
    heartbeat_interval: float
    """Seconds between worker heartbeats."""
    drain_timeout: float = 10.0
    """Seconds a SIGTERM gives running steps and requests to finish before the daemon exits."""

    @property
    def state_dir(self) -> Path:
        """`.hatchetd/` beside the watched folder, never inside it (writes must not wake the
        watcher)."""
        return self.folder.parent / STATE_DIR_NAME


def parse_settings(argv: Sequence[str], environ: Mapping[str, str]) -> Settings:
    """Read flags, falling back to HATCHET_* variables, then to the defaults.

    Raises SettingsError for a combination that cannot be allowed (a non-loopback address
    without a token); argparse exits with status 2 for malformed flags.
    """
    parser = argparse.ArgumentParser(
        prog="hatchetd",
        description=(
            "The hatchet daemon: watches a folder of workflow files, stores every event and run, "
            "and hands steps to workers."
        ),
    )
    parser.add_argument(
        "--dir",
        default=environ.get("HATCHET_DIR", DEFAULT_DIR),
        help="the workflow folder to watch (HATCHET_DIR; default .hatchet)",
    )
    parser.add_argument(
        "--db",
        default=environ.get("HATCHET_DATABASE_URL"),
        help="sqlite:///path or postgresql://… (HATCHET_DATABASE_URL; "
        "default .hatchetd/hatchet.db beside the folder)",
    )
    parser.add_argument(
        "--host",
        default=environ.get("HATCHET_HOST", DEFAULT_HOST),
        help="address to listen on (HATCHET_HOST; default 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=_port(environ.get("HATCHET_PORT")),
        help="port to listen on, 0 for any free one (HATCHET_PORT; default 7070)",
    )
    parser.add_argument(
        "--heartbeat-interval",
        type=float,
        # A string default goes through `type` too: a bad variable is a usage error, not a crash.
        default=environ.get("HATCHET_HEARTBEAT_INTERVAL", "5"),
        help="seconds between worker heartbeats; a worker silent for 3 of them is lost",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=environ.get("HATCHET_DRAIN_TIMEOUT", "10"),
        help="seconds a SIGTERM gives running steps and requests to finish before exiting "
        "(HATCHET_DRAIN_TIMEOUT; default 10)",
    )
    parser.add_argument("--version", action="version", version=f"hatchetd {__version__}")
    args = parser.parse_args(list(argv))
    folder = Path(args.dir).expanduser().resolve()
    token = environ.get("HATCHET_TOKEN") or None
    if not _is_loopback(args.host) and token is None:
        raise SettingsError(
            f"refusing to listen on {args.host} without a token: set HATCHET_TOKEN "
            "(workers and clients then send it as a bearer token), or listen on 127.0.0.1"
        )
    if not 0 <= args.port <= 65535:
        raise SettingsError(f"port {args.port} is out of range 0-65535")
    if args.heartbeat_interval <= 0:
        raise SettingsError("--heartbeat-interval must be more than 0")
    if args.drain_timeout <= 0:
        raise SettingsError("--drain-timeout must be more than 0")
    database_url = args.db or f"sqlite:///{folder.parent / STATE_DIR_NAME / 'hatchet.db'}"
    return Settings(
        folder=folder,
        database_url=database_url,
        host=args.host,
        port=args.port,
        token=token,
        heartbeat_interval=args.heartbeat_interval,
        drain_timeout=args.drain_timeout,
    )


def _port(text: str | None) -> int:
    if text is None:
        return DEFAULT_PORT
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"HATCHET_PORT must be a number, not {text!r}") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: we cannot know where it resolves, so it needs a token


def redacted_url(url: str) -> str:
    """The database URL with its password replaced by `***`, for messages and status."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
