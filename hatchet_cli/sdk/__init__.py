"""The worker SDK: run the steps of hatchet workflows in your own Python process.

```python
from hatchet_cli.sdk import Context, Worker

worker = Worker("billing", slots=8)

@worker.action("echo:echo")
def echo(input: dict, ctx: Context) -> dict:
    ctx.log("echoing")
    return {"message": input["message"]}

worker.run()
```

Everything public is re-exported here (and from `hatchet_cli`); the `_modules` are private.
"""

from __future__ import annotations

from hatchetd.contracts.worker_protocol import TriggerEvent

from ._connection import WorkerRejected
from ._context import CancelFlag, Context
from ._worker import Worker

__all__ = ["CancelFlag", "Context", "TriggerEvent", "Worker", "WorkerRejected"]
