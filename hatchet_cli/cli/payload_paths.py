"""`--where` and `--set`: `path=value` flags read the way the daemon reads them.

The syntax lives in `hatchetd.contracts.payload_paths`, shared with the API, so that a flag the
CLI accepts is never refused by the daemon and the other way round. Here it only gains the
option's name in the message and exit code 6. The contracts are imported when a command runs,
never when `hatchet --help` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hatchet_cli.cli.output import ExitCode, fail

if TYPE_CHECKING:
    from hatchetd.contracts.payload_paths import JsonScalar

PATH_VALUE_HELP = (
    "The value is JSON if it is a number, true, false or "
    "null, else text; quote it to force text: zip='\"02139\"'."
)
"""How a value is read, for the options' help."""


def path_values(texts: list[str] | None, option: str) -> list[tuple[str, JsonScalar]]:
    """Each `path=value` flag as a (path, value) pair, in order; a bad one exits 6 with one
    line naming the option and what to write."""
    from hatchetd.contracts.payload_paths import PathValue

    pairs: list[tuple[str, JsonScalar]] = []
    for text in texts or []:
        try:
            parsed = PathValue.parse(text)
        except ValueError as exc:
            fail(f"{option}: {exc}", ExitCode.INVALID_INPUT)
        pairs.append((parsed.path, parsed.value))
    return pairs
