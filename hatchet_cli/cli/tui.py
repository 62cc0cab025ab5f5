"""`hatchet tui`: the terminal interface, kept open beside the editor.

Textual is imported when the command runs, never with the CLI: `hatchet --help` stays fast.
"""

from __future__ import annotations

import typer

from hatchet_cli.cli.connection import Connection

TUI_HELP = "\n\n".join(
    [
        "Browse events, runs, workflows and workers live; filter, inspect and replay events.",
        "Keys: 1-4 or [ ] between views, tab between panes, ? every key, / filter, esc back, "
        "q quit. See docs/tui.md.",
        "Examples:",
        "\b\n  hatchet tui\n  HATCHET_ADDRESS=http://10.0.0.5:7070 HATCHET_TOKEN=… hatchet tui",
    ]
)


def tui(ctx: typer.Context) -> None:
    """Open the TUI on the daemon the root options name (see TUI_HELP)."""
    from hatchet_cli.tui.app import make_tui
    from hatchet_cli.tui.link import DaemonLink

    connection = ctx.find_object(Connection) or Connection()
    app = make_tui(DaemonLink(connection.address, connection.token))
    try:
        app.run()
    finally:
        app.stop_following()
