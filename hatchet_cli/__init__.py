"""hatchet-cli: the client side of a local-first event store and workflow engine.

```python
from hatchet_cli import Client, Context, Worker
```

The `hatchet` command line lives in `hatchet_cli.cli`, the worker SDK in `hatchet_cli.sdk` and the
HTTP clients in `hatchet_cli.client` (blocking) and `hatchet_cli.async_client` (asyncio). The
names below are imported on first use, so that `import hatchet_cli` (and with it every `hatchet`
command) loads neither an HTTP client nor websockets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hatchet_cli.async_client import AsyncClient
    from hatchet_cli.client import (
        ChangesLost,
        Client,
        DaemonNotAnswering,
        DaemonUnreachable,
        HatchetError,
        PushResult,
        RunWaitTimeout,
    )
    from hatchet_cli.sdk import CancelFlag, Context, TriggerEvent, Worker, WorkerRejected

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "CancelFlag",
    "ChangesLost",
    "Client",
    "Context",
    "DaemonNotAnswering",
    "DaemonUnreachable",
    "HatchetError",
    "PushResult",
    "RunWaitTimeout",
    "TriggerEvent",
    "Worker",
    "WorkerRejected",
    "__version__",
]

_LAZY = {
    "AsyncClient": "hatchet_cli.async_client",
    "ChangesLost": "hatchet_cli.client",
    "Client": "hatchet_cli.client",
    "DaemonNotAnswering": "hatchet_cli.client",
    "DaemonUnreachable": "hatchet_cli.client",
    "HatchetError": "hatchet_cli.client",
    "PushResult": "hatchet_cli.client",
    "RunWaitTimeout": "hatchet_cli.client",
    "CancelFlag": "hatchet_cli.sdk",
    "Context": "hatchet_cli.sdk",
    "TriggerEvent": "hatchet_cli.sdk",
    "Worker": "hatchet_cli.sdk",
    "WorkerRejected": "hatchet_cli.sdk",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hatchet_cli' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
