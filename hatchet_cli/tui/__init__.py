"""`hatchet tui`: a Textual app over the daemon's API and change stream.

Only this package imports Textual (an import contract keeps it that way); `hatchet tui` imports
it when it runs, so no other command pays for it.
"""
