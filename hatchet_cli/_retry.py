"""How long and how often a push is retried (`Client(retry_for=...)`).

A push carries an idempotency key, so sending it again is safe: the daemon stores it once and
answers every copy with the same event. It is sent again when the daemon answered 503 (busy,
draining, or its store is unavailable or locked), when no answer came within the client's
`timeout`, or when the connection broke after it was made — all within one bound, `retry_for`
seconds from the first attempt. Between attempts the client waits a jittered, doubling delay, or
what the daemon's `Retry-After` asks for.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

DEFAULT_RETRY_FOR = 30.0
"""Seconds a push is retried for unless `Client(retry_for=...)` or `--retry-for` say otherwise."""
BASE_DELAY = 0.2
"""The first wait between two attempts, before jitter; it doubles up to `MAX_DELAY`."""
MAX_DELAY = 2.0
"""The longest wait between two attempts the client chooses itself (a `Retry-After` may ask for
more)."""
MIN_ATTEMPT = 0.05
"""No attempt starts with less time than this left before the bound: it could not succeed."""


class Retrying:
    """The clock of one push and its retries: how long each attempt may wait for an answer, and
    how long to wait before the next one (None once the bound would be passed).

    With `retry_for` 0 the push is sent once and waits its whole `timeout`.
    """

    def __init__(
        self,
        retry_for: float,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if retry_for < 0:
            raise ValueError(f"retry_for must be 0 or more seconds, not {retry_for}")
        self.retry_for = retry_for
        self._clock = clock
        self._rng = rng or random.Random()
        self._deadline = clock() + retry_for
        self._failures = 0

    def remaining(self) -> float:
        """Seconds left before the bound."""
        return max(0.0, self._deadline - self._clock())

    def attempt_timeout(self, timeout: float) -> float:
        """How long the next attempt may wait: `timeout`, but never past the bound."""
        if self.retry_for == 0:
            return timeout
        return max(MIN_ATTEMPT, min(timeout, self.remaining()))

    def next_delay(self, retry_after: float | None = None) -> float | None:
        """The wait before the next attempt, or None to give up: the bound would be reached
        first. A `retry_after` from the daemon is honoured (never retried sooner), stretched by
        up to a quarter so that clients told the same do not all return at once."""
        nominal = min(MAX_DELAY, BASE_DELAY * 2.0 ** min(self._failures, 30))
        self._failures += 1
        if retry_after is not None:
            delay = retry_after * self._rng.uniform(1.0, 1.25)
        else:
            delay = nominal * self._rng.uniform(0.5, 1.0)
        if self.retry_for == 0 or delay + MIN_ATTEMPT > self.remaining():
            return None
        return delay


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A `Retry-After` header as seconds from now: a number of seconds or an HTTP date; None
    when there is none or it cannot be read."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
