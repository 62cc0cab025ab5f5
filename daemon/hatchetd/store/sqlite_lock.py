"""One daemon per SQLite file: an advisory lock on `<file>.lock`, held while its store is open.

A SQLite file serves one daemon (design §7); only PostgreSQL is meant to be shared by several.
A second daemon on the file would otherwise start without a word and run its ticker and
dispatcher over the same runs as the first. So the daemon opens the file with
`hold_sqlite_file`, and a second one is refused at start. Only the daemon takes the lock: tests
and tools that open stores beside it are never refused.

`flock`, not POSIX record locks (`lockf`): a record lock belongs to the process, so a second
open in the same process would be granted it, and closing any descriptor of the file would drop
it. A flock belongs to the open file, and the kernel drops it when the last descriptor closes —
on `release()`, or when the process dies, `kill -9` included, so there is never a stale lock to
clean up. The file itself is never deleted: unlinking a lock file races with a process that has
just opened it and would then lock a file nobody else can see.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

from hatchetd.store.errors import StoreInUse

if sys.platform != "win32":
    import fcntl

_HOLDER_MAX_BYTES = 4096


class SqliteLock:
    """This process's hold on one SQLite file, until `release()` or the process's end."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        """The lock file, `<database>.lock`."""
        self._fd: int | None = fd

    def release(self) -> None:
        """Let another daemon open the file. A second call does nothing."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # the only descriptor of this open file: closing it drops the flock


def lock_path(database: str) -> Path:
    """The lock file of a SQLite database: beside the real file, whatever path reached it."""
    return Path(os.path.realpath(database) + ".lock")


def hold_sqlite_file(database: str) -> SqliteLock | None:
    """Take the SQLite file at `database` for this process alone, or raise `StoreInUse`.

    Records this process's pid and host in the lock file for the message a second daemon
    shows. Returns None where there is no flock (Windows, which the daemon does not target):
    there a second daemon is not refused. Other `OSError`s (the folder is read-only, the file
    system has no locks) propagate.
    """
    if sys.platform == "win32":
        return None
    path = lock_path(database)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid, host = _read_holder(fd)
        os.close(fd)
        raise StoreInUse(os.path.abspath(database), pid=pid, host=host) from None
    except BaseException:
        os.close(fd)
        raise
    record = json.dumps({"pid": os.getpid(), "host": socket.gethostname()}) + "\n"
    os.ftruncate(fd, 0)
    os.pwrite(fd, record.encode(), 0)
    return SqliteLock(path, fd)


def _read_holder(fd: int) -> tuple[int | None, str | None]:
    """The pid and host the holder recorded; (None, None) if it has not written them yet."""
    try:
        record = json.loads(os.pread(fd, _HOLDER_MAX_BYTES, 0))
        return int(record["pid"]), " ".join(str(record["host"]).split())
    except (OSError, ValueError, KeyError, TypeError):
        return None, None
