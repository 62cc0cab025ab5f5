"""`python -m bench.hatchetd_probe --dir D --port 0`: hatchetd, unchanged, plus a commit probe.

This runs `hatchetd.server.main` exactly as `python -m hatchetd` does. The only addition is that
every `Runtime` the daemon creates is remembered, so that SIGUSR1 writes the sum of their
`commits` (batched commits so far, design §11) to `$BENCH_STATS_FILE` (see `bench.probe`).
"""

from __future__ import annotations

import sys
from typing import Any

from bench import probe
from hatchetd import runtime, server

_runtimes: list[runtime.Runtime] = []
_original_init = runtime.Runtime.__init__


def _remembering_init(self: runtime.Runtime, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    _runtimes.append(self)


def main() -> int:
    runtime.Runtime.__init__ = _remembering_init  # type: ignore[method-assign]
    probe.install(lambda: {"commits": sum(r.commits for r in _runtimes)})
    return server.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
