"""Ids as people type them: a full id, or a unique prefix of one (design §10).

Tables show ids a person copies; typing the first few characters is enough, as with git's short
hashes. A prefix that names nothing is a 404, one that names several is a 409 listing them, so a
script never acts on the wrong event or run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hatchetd.api.errors import ApiError
from hatchetd.contracts.ids import MIN_PREFIX

_FULL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PREFIX = re.compile(r"[0-9a-f-]{1,36}")  # no id is longer than a full one


def resolve_id(given: str, noun: str, candidates: Callable[[str], list[str]]) -> str:
    """The full id `given` names: itself when it is a full id, else the one id it prefixes.

    `candidates(prefix)` lists full ids starting with the prefix (the store caps how many);
    `noun` names what is looked up ("event", "run") in the messages.
    """
    text = given.lower()  # as the document's pattern says: no spaces around it
    if _FULL_ID.fullmatch(text):
        return text
    if not _PREFIX.fullmatch(text):
        raise ApiError(404, "not_found", f"no {noun} with id {given!r}")
    if len(text.replace("-", "")) < MIN_PREFIX:
        raise ApiError(
            422,
            "id_too_short",
            f"{given!r} is too short to name {_article(noun)} {noun}: give at least "
            f"{MIN_PREFIX} characters",
        )
    matches = candidates(text)
    if not matches:
        raise ApiError(404, "not_found", f"no {noun} with an id starting {given!r}")
    if len(matches) > 1:
        shown = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
        raise ApiError(
            409,
            "ambiguous_id",
            f"{given!r} starts the ids of several {noun}s ({shown}); give more characters",
        )
    return matches[0]


def _article(noun: str) -> str:
    # "an event", "a run": the nouns here are plain words, so the first letter decides.
    return "an" if noun[:1] in "aeiou" else "a"
