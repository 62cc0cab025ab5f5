"""The `hatchet` command line: one Typer module per command group, named in `app.py` and imported
only when the command line reaches it (`lazy_group.py`).

Modules here import `hatchetd.contracts` at most (never the rest of the daemon), and import heavy
libraries inside the command that needs them, so `hatchet --help` starts fast. Help is plain
text (no Rich markup): Typer's Rich help costs a third of a second of imports.
"""
