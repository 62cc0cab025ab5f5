"""`hatchet runs`: the commands of `runs.py` and `rerun`.

`rerun` waits as `workflows run --wait` does (`events_wait.py`), which itself draws with
`runs.py`, so `runs.py` cannot import it; the group is put together here, where the root's lazy
`runs` entry loads it.
"""

from __future__ import annotations

from hatchet_cli.cli import runs, runs_rerun

app = runs.app
app.command(name="rerun", help=runs_rerun.RERUN_HELP)(runs_rerun.rerun)
