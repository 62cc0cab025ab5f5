"""hatchet-cli: the client side of a local-first event store and workflow engine.

The `hatchet` command line lives in `hatchet_cli.cli`; the worker SDK arrives in `hatchet_cli.sdk`.
"""

from __future__ import annotations

__version__ = "0.1.0"
