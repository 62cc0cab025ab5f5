"""One daemon per SQLite file: the daemon's exclusive open refuses a second (issue 11).

`open_store(url, exclusive=True)` is how hatchetd opens its store; every other opener (the tests,
the tools) opens without it and is never refused.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hatchetd.store import Store, StoreInUse, StoreUnavailable, open_store
from hatchetd.store.sqlite_lock import lock_path
from tests.store.conftest import PG_SKIPPED, PG_URL_VARIABLE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")

OpenStore = Callable[..., Store]


@pytest.fixture
def opened() -> Iterator[OpenStore]:
    """Opens stores (`opened(url, exclusive=…)`) that are all closed when the test ends."""
    stores: list[Store] = []

    def open_(url: str, *, exclusive: bool = False) -> Store:
        store = open_store(url, exclusive=exclusive)
        stores.append(store)
        return store

    yield open_
    for store in stores:
        store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "hatchet.db"


def test_a_second_exclusive_open_names_the_file_and_the_holder(db: Path, opened: OpenStore) -> None:
    opened(f"sqlite:///{db}", exclusive=True)

    with pytest.raises(StoreInUse) as refused:
        open_store(f"sqlite:///{db}", exclusive=True)

    assert str(refused.value) == (
        f"the SQLite database {db} is in use by another hatchetd "
        f"(pid {os.getpid()} on host {socket.gethostname()}); SQLite serves one daemon at a "
        "time — stop that one, use another --db, or use PostgreSQL to run several"
    )
    assert isinstance(refused.value, StoreUnavailable)  # server.py reports it like the others


def test_the_file_is_free_again_once_the_holder_closes(db: Path, opened: OpenStore) -> None:
    first = open_store(f"sqlite:///{db}", exclusive=True)
    first.close()

    opened(f"sqlite:///{db}", exclusive=True)  # no StoreInUse


def test_a_refused_open_leaves_the_holder_holding(db: Path, opened: OpenStore) -> None:
    opened(f"sqlite:///{db}", exclusive=True)
    with pytest.raises(StoreInUse):
        open_store(f"sqlite:///{db}", exclusive=True)

    # The refused open closed its own descriptor of the lock file; the holder's lock stands.
    with pytest.raises(StoreInUse):
        open_store(f"sqlite:///{db}", exclusive=True)


def test_other_paths_to_the_same_file_are_refused_too(
    tmp_path: Path, db: Path, opened: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened(f"sqlite:///{db}", exclusive=True)
    (tmp_path / "link").symlink_to(db.parent)
    monkeypatch.chdir(tmp_path)

    for url in ("sqlite:///state/hatchet.db", f"sqlite:///{tmp_path}/link/hatchet.db"):
        with pytest.raises(StoreInUse):
            open_store(url, exclusive=True)


def test_stores_opened_without_exclusive_are_never_refused(db: Path, opened: OpenStore) -> None:
    url = f"sqlite:///{db}"
    readers = [opened(url), opened(url)]  # tests or tools, before the daemon starts

    daemon = opened(url, exclusive=True)  # they do not hold the file
    reader = opened(url)  # and the daemon does not keep them out

    assert [s.list_workers() for s in (*readers, reader)] == [daemon.list_workers()] * 3


def test_a_holder_that_has_not_written_its_pid_yet_still_holds_the_file(db: Path) -> None:
    db.parent.mkdir(parents=True)
    fd = os.open(lock_path(str(db)), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # locked, the file still empty

        with pytest.raises(StoreInUse) as refused:
            open_store(f"sqlite:///{db}", exclusive=True)
    finally:
        os.close(fd)

    assert refused.value.pid is None
    assert "is in use by another hatchetd; SQLite serves one daemon" in str(refused.value)


def test_an_exclusive_open_that_fails_lets_go_of_the_file(db: Path, opened: OpenStore) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailable, match="not a database") as failed:
        open_store(f"sqlite:///{db}", exclusive=True)
    assert not isinstance(failed.value, StoreInUse)

    db.unlink()
    opened(f"sqlite:///{db}", exclusive=True)  # no StoreInUse: the failed open let go


HOLD = """
import sys
from hatchetd.store import open_store
store = open_store(sys.argv[1], exclusive=True)
print("held", flush=True)
sys.stdin.read()
"""


def test_a_holder_in_another_process_is_named_and_its_death_frees_the_file(
    db: Path, opened: OpenStore
) -> None:
    url = f"sqlite:///{db}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"

        with pytest.raises(StoreInUse) as refused:
            open_store(url, exclusive=True)
        assert refused.value.pid == holder.pid
        assert f"(pid {holder.pid} on host {socket.gethostname()})" in str(refused.value)

        holder.kill()  # kill -9: no close(), no goodbye
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        for pipe in (holder.stdin, holder.stdout):
            if pipe is not None:
                pipe.close()

    opened(url, exclusive=True)  # the kernel dropped the dead holder's lock


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get(PG_URL_VARIABLE), reason=PG_SKIPPED)
@pytest.mark.parametrize("databases", ["postgres"], indirect=True)
def test_postgresql_is_shared_whatever_exclusive_says(database_url: str, opened: OpenStore) -> None:
    opened(database_url, exclusive=True)
    opened(database_url, exclusive=True)  # several daemons may serve one PostgreSQL database
