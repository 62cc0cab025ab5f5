"""The TUI's lists and tree with the same keys everywhere: `home`/`g` to the first row, `end`/`G`
to the last (Textual's tables bind `home`/`end` to the first and last column instead); and
tables whose columns are as wide as their cells, always.

Every view builds its tables from `ListTable` and the trace its tree from `TraceTree`, so a
key added here reaches every list, and the help screen (generated from the bindings) lists it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Tree

__all__ = ["FIRST_LAST", "ListTable", "TraceTree"]

FIRST_LAST: list[BindingType] = [
    Binding("home,g", "scroll_top", "First row", show=False),
    Binding("end,G", "scroll_bottom", "Last row", show=False),
]
"""`home`/`g` and `end`/`G`, for a table (its own actions move the cursor)."""


class ListTable(DataTable[Any]):
    """A table of rows (one per record, the row key its id), with the list keys."""

    BINDINGS: ClassVar[list[BindingType]] = FIRST_LAST

    def __init__(self, *, id: str | None = None, zebra_stripes: bool = True) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=zebra_stripes)

    def watch_virtual_size(self) -> None:
        """The columns were measured (their widths make the table's): redraw every row.

        Textual's table measures new rows' cells when it is next idle, but keys the lines it
        has drawn on a counter that measuring leaves alone. Rows drawn in between (every column
        as wide as its label) stayed so until a resize or a change of focus redrew them: the
        workflows view, 4 cells a column whenever its rows came after its table took the
        focus (`2`, down, down, enter, `3`: about one time in four)."""
        self._clear_caches()
        self.refresh()

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor (None: the table is empty)."""
        if self.row_count == 0:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value


class TraceTree(Tree[Any]):
    """A tree with `g`/`G` beside `home`/`end` (which a tree binds to its first and last line)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,g", "scroll_home", "First line", show=False),
        Binding("end,G", "scroll_end", "Last line", show=False),
    ]
