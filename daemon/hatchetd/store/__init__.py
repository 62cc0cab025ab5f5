"""The store: durable state of the daemon behind the `Store` protocol (design §2, §11).

`open_store(url)` is the way in; the engine and the API only ever see `Store`.
"""

from __future__ import annotations

from hatchetd.store.errors import (
    CronTickTaken,
    IdempotencyKeyTaken,
    RunBusy,
    RunIdempotencyKeyTaken,
    StoreConflict,
    StoreError,
    StoreFull,
    StoreInUse,
    StoreLocked,
    StoreTrouble,
    StoreUnavailable,
    UnsupportedDatabase,
)
from hatchetd.store.protocol import Store, iter_pages
from hatchetd.store.sql import open_store

__all__ = [
    "CronTickTaken",
    "IdempotencyKeyTaken",
    "RunBusy",
    "RunIdempotencyKeyTaken",
    "Store",
    "StoreConflict",
    "StoreError",
    "StoreFull",
    "StoreInUse",
    "StoreLocked",
    "StoreTrouble",
    "StoreUnavailable",
    "UnsupportedDatabase",
    "iter_pages",
    "open_store",
]
