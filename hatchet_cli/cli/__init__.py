"""The `hatchet` command line: one Typer module per command group, wired together in `app.py`.

Modules here import `hatchetd.contracts` at most (never the rest of the daemon), and import heavy
libraries inside the command that needs them, so `hatchet --help` starts fast.
"""
