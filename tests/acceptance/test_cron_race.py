"""Two daemons on one database race for the same cron tick: one run, made by the store's unique
key on (workflow, tick), not by timing (design §3).

PostgreSQL only: a SQLite file serves one daemon and refuses a second (test_daemon_process.py).
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

import pytest
from acceptance_support import Workers, start_daemon, stop, wait_for, wait_until_loaded

pytestmark = pytest.mark.acceptance

EVERY_MINUTE = textwrap.dedent(
    """\
    name: minutely
    on:
      cron:
        schedule: "* * * * *"
    jobs:
      main:
        steps:
          - id: print
            action: print:print
    """
)


@pytest.mark.long(30)
# Up to a minute to the first tick, plus two daemons to start: more than the default's 120 s.
@pytest.mark.timeout(240)
def test_racing_tickers_make_one_run_per_tick(
    tmp_path: Path, postgres_url: str, workers: Workers
) -> None:
    folder = tmp_path / "project" / ".hatchet"
    folder.mkdir(parents=True)
    (folder / "minutely.yaml").write_text(EVERY_MINUTE)
    daemons = [start_daemon(folder, database_url=postgres_url) for _ in range(2)]
    try:
        for d in daemons:
            wait_until_loaded(d, "minutely")
        # One worker, on the second daemon: whichever daemon fires the tick, the run reaches it
        # (ready work is shared through the store).
        workers.start(daemons[1], name="w1")

        def cron_runs() -> list[dict[str, object]]:
            items: list[dict[str, object]] = daemons[1].get(
                "/api/v1/runs", workflow="minutely", limit=100
            )["items"]
            return items

        first = wait_for(cron_runs, timeout=75, what="the first cron tick")
        (run,) = first
        assert run["trigger"] == "CRON"
        tick = datetime.fromisoformat(str(run["cron_tick_at"]))
        assert (tick.second, tick.microsecond) == (0, 0)
        assert run["event_id"] is None
        # Both tickers have had several turns at this tick by the time it has a finished run.
        done = daemons[1].wait_for_run(str(run["id"]))
        assert done["run"]["status"] == "SUCCEEDED"
        same_tick = [r for r in cron_runs() if r["cron_tick_at"] == run["cron_tick_at"]]
        assert len(same_tick) == 1
    finally:
        for d in daemons:
            assert stop(d.process) == 0
