"""Pushes from hatchet's own clients are exactly-once (issue 10 item 3), against a real hatchetd
that is frozen with SIGSTOP: its kernel still accepts connections, so a client connects, sends
its push and hears nothing until SIGCONT.

Every push carries an idempotency key (made up by the client unless given) and is retried with
that key, so however many copies reach the daemon, one event is stored. docs/guarantees.md
("Pushes from hatchet's own clients are exactly-once") reports the figures measured here.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from acceptance_support import ROOT, Daemon, wait_for

from hatchet_cli import Client
from hatchetd.contracts.events import Event

STALL = 2.0
"""How long the daemon stays frozen while a push waits."""
DATA = {"order": 42}


def hatchet_command() -> list[str]:
    script = Path(sys.executable).with_name("hatchet")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hatchet_cli.cli.app"]


def hatchet(daemon: Daemon, *args: str) -> subprocess.Popen[str]:
    """`hatchet ARGS` against the daemon, as a process of its own."""
    return subprocess.Popen(
        [*hatchet_command(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HATCHET_ADDRESS": daemon.address, "NO_COLOR": "1"},
        cwd=ROOT,
    )


def connected(pid: int, port: int) -> bool:
    """Whether process `pid` holds an established TCP connection to local port `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port, state, inode = int(fields[2].rsplit(":", 1)[1], 16), fields[3], fields[9]
            if state == "01" and remote_port == port:  # 01: ESTABLISHED
                inodes.add(f"socket:[{inode}]")
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) in inodes:
                return True
        except OSError:  # closed meanwhile
            continue
    return False


@contextmanager
def frozen(daemon: Daemon) -> Iterator[None]:
    """The daemon stopped with SIGSTOP for the block; SIGCONT after, whatever happens."""
    daemon.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        daemon.process.send_signal(signal.SIGCONT)


def stored_with(daemon: Daemon, idempotency_key: str) -> list[dict[str, Any]]:
    """The events of this test's key that carry `idempotency_key`."""
    events: list[dict[str, Any]] = daemon.get("/api/v1/events", key="rel:push", limit=100)["items"]
    assert all(e["data"] == DATA for e in events)
    return [e for e in events if e["idempotency_key"] == idempotency_key]


def port_of(daemon: Daemon) -> int:
    port = urlsplit(daemon.address).port
    assert port is not None
    return port


def test_a_cli_push_to_a_frozen_daemon_is_stored_once_when_it_resumes(daemon: Daemon) -> None:
    with frozen(daemon):
        push = hatchet(daemon, "events", "push", "rel:push", "-d", json.dumps(DATA), "-o", "json")
        wait_for(lambda: connected(push.pid, port_of(daemon)), what="the CLI to connect")
        with pytest.raises(subprocess.TimeoutExpired):  # it waits, it does not give up
            push.wait(timeout=STALL)
        resumed = time.monotonic()
    out, err = push.communicate(timeout=30)
    answered_after = time.monotonic() - resumed

    assert push.returncode == 0, err
    event = json.loads(out)
    key = event["idempotency_key"]
    assert str(uuid.UUID(key)) == key  # the CLI's own key
    assert [e["id"] for e in stored_with(daemon, key)] == [event["id"]]
    assert len(daemon.get("/api/v1/events", key="rel:push")["items"]) == 1
    print(
        f"\npush retries: the CLI's push answered {answered_after:.2f} s after SIGCONT, stored once"
    )


def test_a_cli_push_never_answered_exits_7_within_the_bound_and_its_key_stores_it_once(
    daemon: Daemon,
) -> None:
    bound = 3.0
    with frozen(daemon):
        started = time.monotonic()
        push = hatchet(
            daemon, "events", "push", "rel:push", "-d", json.dumps(DATA), "--retry-for", f"{bound}"
        )
        _, err = push.communicate(timeout=bound + 15)
        took = time.monotonic() - started

    assert push.returncode == 7, err
    prefix = f"error: the hatchet daemon at {daemon.address} did not answer within 3 s ("
    assert err.startswith(prefix), err
    assert "the event may have been stored: push it again with idempotency key " in err
    key = err.rsplit("idempotency key ", 1)[1].split()[0]
    assert took < bound + 2.5  # the bound, plus the CLI's own start-up
    # Pushed again with the key the message names, once the daemon is back: one event, whether
    # the first copy (which the daemon read when it resumed) was stored or not.
    again = hatchet(
        daemon, "events", "push", "rel:push", "-d", json.dumps(DATA), "--idempotency-key", key
    )
    _, again_err = again.communicate(timeout=30)
    assert again.returncode == 0, again_err
    wait_for(lambda: stored_with(daemon, key), what="the event to be stored")
    assert len(stored_with(daemon, key)) == 1
    assert len(daemon.get("/api/v1/events", key="rel:push")["items"]) == 1
    print(f"\npush retries: the CLI gave up {took:.2f} s after it started (bound {bound:g} s)")


def test_a_push_retried_many_times_while_the_daemon_is_frozen_is_stored_once(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    outcome: list[Event | BaseException] = []

    def push(client: Client) -> None:
        try:
            outcome.append(client.events.push("rel:push", DATA))
        except BaseException as exc:  # reported by the assertions below
            outcome.append(exc)

    caplog.set_level(logging.INFO, logger="hatchet_cli.client")
    # Each attempt waits 0.5 s, so the push is sent again and again while the daemon is frozen:
    # every copy sits in its kernel's queue, and all of them are read when it resumes.
    with Client(daemon.address, timeout=0.5, retry_for=30) as client:
        pusher = threading.Thread(target=push, args=(client,))
        with frozen(daemon):
            pusher.start()
            wait_for(lambda: connected(os.getpid(), port_of(daemon)), what="the push to connect")
            pusher.join(STALL)
            assert pusher.is_alive()  # still retrying
        pusher.join(30)

    (event,) = outcome
    assert isinstance(event, Event), event
    retries = [r for r in caplog.records if "sending it again" in r.getMessage()]
    assert len(retries) >= 2
    assert event.idempotency_key is not None
    assert [e["id"] for e in stored_with(daemon, event.idempotency_key)] == [event.id]
    assert len(daemon.get("/api/v1/events", key="rel:push")["items"]) == 1
    print(f"\npush retries: {len(retries) + 1} copies of one push sent, 1 event stored")
