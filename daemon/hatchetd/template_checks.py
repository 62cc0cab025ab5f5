"""Finding, before any run, the `with:` templates that would fail when a step renders.

`hatchetd.templating` renders a template just before its step is assigned; this module reads the
same templates when a workflow file is loaded (by the daemon and by `hatchet workflows validate`)
and reports what is sure to fail: text that is not a template, filters and tests Jinja does not
have, and `steps.<id>` that is not an earlier step of the same job. Each problem carries the
offset of the fault inside the string, so that the file's error can point at it.

Names other than `steps` are not checked: the payload's top-level keys are names too, and the
payload is only known when an event arrives.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import jinja2
from jinja2.lexer import TokenStream
from jinja2.parser import Parser

from hatchetd.contracts.yaml_source import Loc, ValueProblem
from hatchetd.templating import _ENV, _translate

__all__ = ["TemplateProblem", "check_workflow_templates", "step_references", "template_problems"]

# Tags whose `{% end... %}` Jinja waits for: an unclosed one is where "unexpected end" points.
_BLOCK_TAGS = frozenset({"if", "for", "macro", "call", "filter", "with", "autoescape", "block"})


class TemplateProblem(NamedTuple):
    """One fault in one template string."""

    offset: int
    """Index in the string (as written in the file, after YAML unquoting) of the fault."""
    message: str
    """What is wrong, in words meant for the author of the file."""


class _Token(NamedTuple):
    offset: int  # in the translated source
    kind: str
    value: str


def check_workflow_templates(data: Any) -> list[ValueProblem]:
    """Every template problem in the `with:` strings of a workflow file's raw data (the mapping
    the file holds), with the key path of the string holding it. Parts that are not the expected
    shape are skipped: the file's other checks report them."""
    jobs = data.get("jobs") if isinstance(data, Mapping) else None
    if not isinstance(jobs, Mapping):
        return []
    ids = {
        job: _step_ids(job_data.get("steps") if isinstance(job_data, Mapping) else None)
        for job, job_data in jobs.items()
    }
    problems: list[ValueProblem] = []
    for job, job_data in jobs.items():
        steps = job_data.get("steps") if isinstance(job_data, Mapping) else None
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            if not isinstance(step, Mapping) or "with" not in step:
                continue
            for loc, source in _strings(step["with"], ("jobs", job, "steps", index, "with")):
                found = template_problems(source)
                found += _reference_problems(source, ids, job, index)
                problems += [ValueProblem(loc, p.offset, p.message) for p in found]
    return problems


def template_problems(source: str) -> list[TemplateProblem]:
    """The syntax error, or else the unknown filters and tests, of one template string."""
    if "{" not in source and "$" not in source:
        return []
    try:
        translated = _translate(source)[0]
    except jinja2.TemplateSyntaxError as exc:  # a malformed `${`
        return [TemplateProblem(max(source.find("${"), 0), exc.message or "invalid template")]
    to_source = _offset_map(translated, source)
    tokens, error = _parse(translated)
    if error is not None:
        return [TemplateProblem(to_source(error.offset), error.message)]
    unknown = [
        TemplateProblem(to_source(token.offset), message)
        for token, message in _unknown_names(tokens)
    ]
    if unknown:
        return unknown
    try:
        _ENV.from_string(translated)  # what else the compiler refuses (rare: see Jinja's codegen)
    except jinja2.TemplateSyntaxError as exc:
        return [TemplateProblem(0, exc.message or "invalid template")]
    return []


# --- parsing with positions ------------------------------------------------------------------


def _parse(translated: str) -> tuple[list[_Token], TemplateProblem | None]:
    """The template's tokens with their offsets, and its syntax error if it has one (its offset
    in `translated`). Jinja's errors carry only a line, so the parser is fed tokens that record
    how far the lexer got: the parser fails at the token it was handed last."""
    tokens: list[_Token] = []
    reached = [0]

    def feed() -> Iterator[tuple[int, str, str]]:
        end = 0
        try:
            for lineno, kind, value in _ENV.lexer.tokeniter(translated, None):
                tokens.append(_Token(end, kind, value))
                reached[0] = end
                yield lineno, kind, value
                end += len(value)
        except jinja2.TemplateSyntaxError:
            reached[0] = end  # the lexer stopped here
            raise

    try:
        parser = Parser(_ENV, "")
        parser.stream = TokenStream(_ENV.lexer.wrap(feed()), None, None)
        parser.parse()
    except jinja2.TemplateSyntaxError as exc:
        message = exc.message or "invalid template"
        unclosed = _unclosed_block(tokens) if "end of template" in message else None
        if unclosed is not None:
            offset, tag = unclosed
            message = f"'{{% {tag} %}}' is never closed: add '{{% end{tag} %}}'"
            return tokens, TemplateProblem(offset, message)
        return tokens, TemplateProblem(reached[0], _reword(message))
    return tokens, None


def _reword(message: str) -> str:
    # Jinja's long end-of-template advice names Jinja's own internals; keep its first sentence.
    first = message.split(". ", maxsplit=1)[0].rstrip(".")
    return first[:1].lower() + first[1:]


def _unclosed_block(tokens: list[_Token]) -> tuple[int, str] | None:
    """The offset and tag of the innermost `{%` block with no `{% end... %}`."""
    stack: list[tuple[int, str]] = []
    words = _significant(tokens)
    for position, token in enumerate(words):
        if token.kind != "block_begin" or position + 1 >= len(words):
            continue
        tag = words[position + 1]
        if tag.kind != "name":
            continue
        if tag.value.startswith("end") and stack:
            stack.pop()
        elif tag.value in _BLOCK_TAGS:
            stack.append((token.offset, tag.value))
    return stack[-1] if stack else None


def _significant(tokens: list[_Token]) -> list[_Token]:
    return [t for t in tokens if t.kind not in ("whitespace", "comment", "linecomment")]


def _unknown_names(tokens: list[_Token]) -> Iterator[tuple[_Token, str]]:
    words = _significant(tokens)
    for position, token in enumerate(words[:-1]):
        after = words[position + 1]
        if after.kind != "name":
            continue
        if (token.kind, token.value) == ("operator", "|") or _is_filter_tag(words, position):
            if after.value not in _ENV.filters:
                yield after, _unknown("filter", after.value, _ENV.filters)
        elif (token.kind, token.value) == ("name", "is") and not _after_dot(words, position):
            name = after
            if after.value == "not" and position + 2 < len(words):
                name = words[position + 2]
            if name.kind == "name" and name.value not in _ENV.tests:
                yield name, _unknown("test", name.value, _ENV.tests)


def _is_filter_tag(words: list[_Token], position: int) -> bool:
    """`{% filter upper %}`: the name after the `filter` tag is a filter."""
    token = words[position]
    return (
        (token.kind, token.value) == ("name", "filter")
        and position > 0
        and words[position - 1].kind == "block_begin"
    )


def _after_dot(words: list[_Token], position: int) -> bool:
    return position > 0 and (words[position - 1].kind, words[position - 1].value) == (
        "operator",
        ".",
    )


def _unknown(kind: str, name: str, known: Mapping[str, Any]) -> str:
    message = f"unknown {kind} '{name}'"
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    return message + (f" (did you mean '{close[0]}'?)" if close else "")


def _offset_map(translated: str, source: str) -> Callable[[int], int]:
    """translated offset → source offset. Translation rewrites little (`.x` → ` x`, `$X`), so
    the two texts are aligned by their common runs."""
    if translated == source:
        return lambda offset: offset
    blocks = difflib.SequenceMatcher(None, translated, source, autojunk=False)
    matching = blocks.get_matching_blocks()

    def to_source(offset: int) -> int:
        best = 0
        for a, b, size in matching:
            if a <= offset < a + size:
                return b + offset - a
            if a + size <= offset:
                best = b + size
        return min(best, len(source))

    return to_source


# --- step references -------------------------------------------------------------------------


def _reference_problems(
    source: str, ids: Mapping[str, list[str]], job: str, index: int
) -> list[TemplateProblem]:
    own = ids.get(job, [])
    problems = []
    for offset, step in step_references(source):
        if step in own[:index]:
            continue
        where = f"steps.{step}: "
        if index < len(own) and step == own[index]:
            message = "a step cannot read its own output"
        elif step in own:
            message = f"step '{step}' runs after this one; a step reads only earlier steps"
        elif other := next((name for name, steps in ids.items() if step in steps), None):
            message = (
                f"step '{step}' is in job '{other}'; a step reads only earlier steps of its job"
            )
        else:
            message = f"no step '{step}' in job '{job}'"
            close = difflib.get_close_matches(step, own[:index], n=1, cutoff=0.6)
            message += f" (did you mean '{close[0]}'?)" if close else ""
        problems.append(TemplateProblem(offset, where + message))
    return problems


def step_references(source: str) -> list[tuple[int, str]]:
    """`(offset, id)` of every `steps.<id>` / `steps['<id>']` in a template that parses."""
    if "steps" not in source:
        return []
    try:
        translated = _translate(source)[0]
    except jinja2.TemplateSyntaxError:
        return []
    tokens, error = _parse(translated)
    if error is not None:
        return []
    to_source = _offset_map(translated, source)
    words = _significant(tokens)
    found = []
    for position, token in enumerate(words):
        if (token.kind, token.value) != ("name", "steps") or _after_dot(words, position):
            continue
        following = [(t.kind, t.value) for t in words[position + 1 : position + 4]]
        if len(following) >= 2 and following[0] == ("operator", ".") and following[1][0] == "name":
            found.append((to_source(token.offset), following[1][1]))
        elif (
            len(following) == 3
            and following[0] == ("operator", "[")
            and following[1][0] == "string"
            and following[2] == ("operator", "]")
        ):
            found.append((to_source(token.offset), following[1][1][1:-1]))
    return found


def _step_ids(steps: Any) -> list[str]:
    if not isinstance(steps, list):
        return []
    return [
        step["id"] if isinstance(step, Mapping) and isinstance(step.get("id"), str) else ""
        for step in steps
    ]


def _strings(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*loc, index))
