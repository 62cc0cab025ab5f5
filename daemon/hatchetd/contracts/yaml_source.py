"""YAML node tree → plain Python data, keeping where every part came from.

The YAML is read with PyYAML's SafeLoader, but only as far as its node tree: the nodes carry the
positions, and turning them into Python data here (rather than with `yaml.safe_load`) is what lets
us report duplicate keys (PyYAML silently keeps the last one), refuse tags such as
`!!python/object` before anything is constructed, keep `version: 1.10` as the text "1.10", and
read a bare `on:` key as the text "on" rather than the boolean True.

Nothing here knows what a workflow is: `hatchetd.contracts.parse` validates the data this gives
and uses `locate` to put each error back on the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = [
    "MAX_NODES",
    "NULL_TAG",
    "Loc",
    "NodeReader",
    "TooManyNodes",
    "ValueCheck",
    "ValueProblem",
    "YamlProblem",
    "locate",
    "value_position",
    "yaml_message",
]

Loc = tuple[str | int, ...]
"""A key path as a tuple: ("jobs", "greet-user", "steps", 0, "action")."""

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_CORE + name for name in ("null", "bool", "int", "float", "str"))
_TIMESTAMP = _CORE + "timestamp"  # kept as the text written: step input is JSON
_SEQ = _CORE + "seq"
_MAP = _CORE + "map"
_MERGE = _CORE + "merge"

NULL_TAG = _CORE + "null"
"""The tag of an empty value (`key:` with nothing after it, `~`, `null`, an empty document)."""

MAX_NODES = 100_000  # alias expansion guard ("billion laughs"); real files have hundreds
"""The most values a document may hold once its aliases are expanded."""


class TooManyNodes(Exception):
    """The document expands to more nodes than any workflow needs."""


@dataclass
class YamlProblem:
    """A YAML-level problem found while reading the node tree."""

    mark: yaml.Mark
    """Where in the text the problem is."""
    loc: Loc
    """Key path of the value that holds the problem."""
    message: str
    """What is wrong, in words meant for the author of the file."""


@dataclass(frozen=True)
class ValueProblem:
    """A problem inside one text value of a file, found by a `ValueCheck`."""

    loc: Loc
    """Key path of the text value."""
    offset: int
    """Index of the fault in the value (as read, quotes and escapes resolved)."""
    message: str
    """What is wrong, in words meant for the author of the file."""


ValueCheck = Callable[[dict[str, Any]], Iterable[ValueProblem]]
"""A further check of a file's data that the models cannot make, such as compiling its templates
(`hatchetd.template_checks` does that: it needs Jinja, which `hatchetd.contracts` never imports)."""


class NodeReader:
    """Node tree → plain Python data (str, int, float, bool, None, list, dict with str keys).

    Problems do not stop the reading: each is recorded in `problems`, and the faulty value is
    replaced by a stand-in, so that the rest of the file is still read and validated.
    """

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.problems: list[YamlProblem] = []
        """Every problem found so far, in the order met."""
        self.tainted: list[Loc] = []
        """Parts whose data is a stand-in: validation errors under them only repeat a problem."""
        self._count = 0
        self._open: set[int] = set()
        self._checked: set[int] = set()

    def value(self, node: yaml.Node, loc: Loc) -> Any:
        """The data of `node`, found at `loc`; raises TooManyNodes past `MAX_NODES` values."""
        self._count += 1
        if self._count > MAX_NODES:
            raise TooManyNodes
        if not _tag_fits(node):
            self.problems.append(YamlProblem(node.start_mark, loc, _unsupported_tag(node.tag)))
            self.tainted.append(loc)
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        if id(node) in self._open:
            self.problems.append(
                YamlProblem(
                    node.start_mark, loc, "a YAML alias may not refer to a value that holds it"
                )
            )
            self.tainted.append(loc)
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.value(item, (*loc, index)) for index, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self._mapping(node, loc)
        finally:
            self._open.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value
        try:
            # Safe: the tag was checked above, so this is one of SafeConstructor's plain types.
            return self.loader.construct_object(node)
        except (ValueError, yaml.YAMLError):
            self.problems.append(
                YamlProblem(
                    node.start_mark, loc, f"'{node.value}' is not a valid {_short(node.tag)}"
                )
            )
            self.tainted.append(loc)
            return None

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        if id(node) not in self._checked:  # an aliased mapping is read again: report it once
            self._checked.add(id(node))
            first_seen: dict[str, yaml.Mark] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
                    continue
                first = first_seen.get(key_node.value)
                if first is None:
                    first_seen[key_node.value] = key_node.start_mark
                    continue
                self.problems.append(
                    YamlProblem(
                        key_node.start_mark,
                        loc,
                        f"duplicate key '{key_node.value}' (first at line {first.line + 1})",
                    )
                )
        try:
            self.loader.flatten_mapping(node)  # resolves `<<: *defaults` merge keys in place
        except yaml.MarkedYAMLError as exc:
            self.problems.append(
                YamlProblem(exc.problem_mark or node.start_mark, loc, yaml_message(exc))
            )
            self.tainted.append(loc)
            return {}
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    YamlProblem(
                        key_node.start_mark, loc, "a key must be plain text, not a list or mapping"
                    )
                )
                continue
            if key_node.tag not in _SCALAR_TAGS and key_node.tag != _TIMESTAMP:
                self.problems.append(
                    YamlProblem(key_node.start_mark, loc, _unsupported_tag(key_node.tag))
                )
                continue
            # Keys are kept as written: `on` stays "on" (not True), `1` stays "1".
            key = key_node.value
            if (
                loc == ()
                and key == "version"
                and isinstance(value_node, yaml.ScalarNode)
                and value_node.tag != NULL_TAG
                and _tag_fits(value_node)
            ):
                # `version: 1.10` is the text "1.10", never the float 1.1.
                result[key] = value_node.value
                continue
            result[key] = self.value(value_node, (*loc, key))
        return result


def locate(root: yaml.Node, loc: Loc) -> tuple[yaml.Node, Loc, yaml.Node | None]:
    """The node at `loc` (or the deepest one on the way), the path actually walked, and the key
    node of the last mapping entry taken.

    Model locations follow the model, which may differ from the file: `on: [a, b]` is validated as
    `on: {events: [a, b]}`. A name segment met at a list or a text is such a normalisation; the
    walk skips it at a list and stops at a text, so the error points at what the author wrote.
    """
    node = root
    walked: list[str | int] = []
    key_node: yaml.Node | None = None
    for segment in loc:
        if segment == "[key]":
            if key_node is not None:
                node = key_node
            break
        if isinstance(node, yaml.MappingNode) and isinstance(segment, str):
            entry = next(
                (
                    (key, value)
                    for key, value in reversed(node.value)
                    if isinstance(key, yaml.ScalarNode) and key.value == segment
                ),
                None,
            )
            if entry is None:
                break
            key_node, node = entry
        elif isinstance(node, yaml.SequenceNode) and isinstance(segment, int):
            if not 0 <= segment < len(node.value):
                break
            key_node, node = None, node.value[segment]
        elif isinstance(node, yaml.SequenceNode):
            continue
        else:
            break
        walked.append(segment)
    return node, tuple(walked), key_node


def value_position(text: str, node: yaml.Node, offset: int) -> tuple[int, int]:
    """1-based line and column in `text` of character `offset` of the scalar at `node`.

    The value is unquoted and unfolded, so its characters are matched in order against what the
    file holds, skipping quotes, escapes, indentation and block headers; a value that cannot be
    matched gives the node's own position.
    """
    start, end = node.start_mark.index, node.end_mark.index
    held = text[start:end]
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    style = getattr(node, "style", None)
    # Start past a block scalar's `|` header line, or past an opening quote.
    index = held.find("\n") + 1 if style in ("|", ">") else 1 if style in ("'", '"') else 0
    for position, char in enumerate(value[: offset + 1]):
        found = _match(held, index, char, escapes=style == '"')
        if found is None:
            break
        index = found if position == offset else found + 1
    before = text[: start + index]
    return before.count("\n") + 1, start + index - (before.rfind("\n") + 1) + 1


_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _match(held: str, index: int, char: str, *, escapes: bool) -> int | None:
    """Where `char` of a value is in the file's text at or after `index` (for an escape, its
    last character)."""
    while index < len(held):
        here = held[index]
        if escapes and here == "\\" and index + 1 < len(held):
            if held[index + 1] in "\r\n":  # a line continuation stands for nothing
                index += 2
                continue
            # Every other escape stands for exactly one character of the value.
            return index + 1 + _HEX_ESCAPES.get(held[index + 1], 0)
        if here == char or (char in " \n" and here in " \n\r"):
            return index
        index += 1
    return None


def yaml_message(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's error, reworded for the author of the file (without PyYAML's own position)."""
    problem = exc.problem or exc.context or "not valid YAML"
    if "'\\t'" in problem:
        return "invalid YAML: found a tab character: indent with spaces"
    if exc.context and exc.context.startswith("expected a single document"):
        return "invalid YAML: a workflow file holds one document, but another one starts here"
    message = f"invalid YAML: {problem}"
    if exc.context and exc.problem:
        context_mark, problem_mark = exc.context_mark, exc.problem_mark
        if context_mark is not None and (
            problem_mark is None or context_mark.line != problem_mark.line
        ):
            message += f" ({exc.context} at line {context_mark.line + 1})"
        else:
            message += f" ({exc.context})"
    return message


def _tag_fits(node: yaml.Node) -> bool:
    if isinstance(node, yaml.ScalarNode):
        return node.tag in _SCALAR_TAGS or node.tag == _TIMESTAMP
    if isinstance(node, yaml.SequenceNode):
        return bool(node.tag == _SEQ)
    return bool(node.tag == _MAP)


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _unsupported_tag(tag: str) -> str:
    return f"unsupported YAML tag '{_short(tag)}': only plain YAML is allowed"
