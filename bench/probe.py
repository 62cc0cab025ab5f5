"""A counter another process can read: SIGUSR1 makes this process write it to a JSON file.

The benchmark reads commit counts this way (hatchetd's `Runtime.commits`, the huey storage's
write transactions) without any HTTP endpoint: it sends SIGUSR1, then waits for the file's
`seq` to change. The handler runs on the main thread between bytecodes and does one small write.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType

STATS_FILE_VARIABLE = "BENCH_STATS_FILE"


def install(read: Callable[[], dict[str, int]], path: str | None = None) -> None:
    """On SIGUSR1 write `{"seq": n, **read()}` to `path` (default `$BENCH_STATS_FILE`)."""
    target = path or os.environ.get(STATS_FILE_VARIABLE)
    if not target:
        return
    out = Path(target)
    seq = 0

    def dump(signum: int, frame: FrameType | None) -> None:
        nonlocal seq
        seq += 1
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seq": seq, **read()}))
        tmp.replace(out)

    signal.signal(signal.SIGUSR1, dump)
