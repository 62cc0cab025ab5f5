"""Rendering of a step's `with:` value just before the step is assigned (design §4).

Strings from the workflow file are Jinja2 templates, run in an immutable sandbox with strict
undefined. The original Go-template form (`{{ .input.username }}`) is accepted by rewriting the
leading dots away before compiling, and `$NAME` / `${NAME}` read the daemon's environment.
Only workflow-file strings are ever compiled: event data and environment values reach the
template as data, so a payload or a variable holding `{{ 7*7 }}` stays that literal text.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import jinja2
from jinja2.environment import TemplateExpression
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = [
    "RESERVED_NAMES",
    "TemplateError",
    "TemplateRenderError",
    "TemplateSecurityError",
    "TemplateSyntaxError",
    "TemplateUndefinedError",
    "build_template_data",
    "render_value",
]

# Names every template sees; payload keys with these names stay reachable only via `input`.
RESERVED_NAMES = frozenset({"input", "steps", "event", "workflow", "run"})
# Environment values are handed to the template under this name, never spliced into its source.
_ENV_VAR = "_hatchet_env"
_MESSAGE_EXPRESSION_LIMIT = 200


class TemplateError(Exception):
    """A `with:` value could not be rendered."""

    def __init__(self, path: str, expression: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        """Key path of the failing string, e.g. `with.userIds[0]`."""
        self.expression = expression
        """The template source text as written in the workflow file, or `$NAME`."""
        self.message = message
        """What went wrong, without the path."""

    def __reduce__(self) -> tuple[type[TemplateError], tuple[str, str, str]]:
        # The default pickling replays `args`, which holds only the formatted text.
        return (type(self), (self.path, self.expression, self.message))


class TemplateSyntaxError(TemplateError):
    """The template text is not valid Jinja2 (or a `${...}` reference is malformed)."""


class TemplateUndefinedError(TemplateError):
    """The template used an unknown name or attribute, or an unset environment variable."""


class TemplateSecurityError(TemplateError):
    """The sandbox refused an attribute access or call."""


class TemplateRenderError(TemplateError):
    """Evaluating the template failed for another reason (a filter raised, a non-JSON result)."""


def build_template_data(
    *,
    input: Mapping[str, Any],
    steps: Mapping[str, Any],
    event: Mapping[str, Any] | None,
    workflow: Mapping[str, Any],
    run: Mapping[str, Any],
) -> dict[str, Any]:
    """Return the names a template can use: `input`, `steps`, `event`, `workflow`, `run`, and
    the payload's top-level keys (so `{{ .user.email }}` means `input.user.email`) unless a key
    is one of those five names, which always win."""
    data = {key: value for key, value in input.items() if key not in RESERVED_NAMES}
    data.update(input=input, steps=steps, event=event, workflow=workflow, run=run)
    return data


def render_value(
    value: Any,
    data: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
    path: str = "with",
) -> Any:
    """Render every string in `value` (walking dicts and lists) and return a new JSON-compatible
    structure. Keys are kept verbatim. `environ` defaults to `os.environ`.

    Raises a `TemplateError` subclass naming the key path of the first string that failed."""
    env = os.environ if environ is None else environ
    if isinstance(value, str):
        return _render_string(value, data, env, path)
    try:
        if isinstance(value, Mapping):
            return {
                _json_key(key): render_value(item, data, environ=env, path=f"{path}.{key}")
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [
                render_value(item, data, environ=env, path=f"{path}[{index}]")
                for index, item in enumerate(value)
            ]
        return _to_json(value)
    except _NotJSONError as exc:
        raise TemplateRenderError(path, repr(value), str(exc)) from None


# --- rendering ---------------------------------------------------------------------------------


class _NotJSONError(TypeError):
    """A template produced a value that has no JSON form."""


class _Environment(ImmutableSandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        # Jinja prefers Python attributes, so `steps.a.items` would be `dict.items`, not the
        # step's `items` output. Template data is JSON, where the key is what the user means.
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _finalize(value: Any) -> Any:
    # In mixed text, containers and null/booleans print as JSON rather than Python reprs,
    # which is what an action receiving the text can parse.
    if isinstance(value, str | int | float | jinja2.Undefined) and not isinstance(value, bool):
        return value
    return json.dumps(_to_json(value), ensure_ascii=False)


_ENV = _Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,  # YAML block scalars end in a newline the action may rely on
    finalize=_finalize,
)


class _Compiled(NamedTuple):
    render: Callable[..., Any]  # called as render(data, _hatchet_env={...})
    env_names: tuple[str, ...]


def _render_string(
    source: str, data: Mapping[str, Any], environ: Mapping[str, str], path: str
) -> Any:
    if "{" not in source and "$" not in source:
        return source  # the common case: plain text, nothing to compile
    compiled = _compile_string(source, path)
    values: dict[str, str] = {}
    for name in compiled.env_names:
        if name not in environ:
            raise TemplateUndefinedError(
                path, f"${name}", f"environment variable ${name} is not set"
            )
        values[name] = environ[name]
    try:
        return compiled.render(data, **{_ENV_VAR: values})
    except jinja2.TemplateError as exc:
        kind = _ERROR_KINDS.get(type(exc), TemplateRenderError)
        raise kind(path, source, _with_source(exc.message or str(exc), source)) from None
    except Exception as exc:  # a filter or operator failed on the data: fail the step, not us
        message = str(exc) if isinstance(exc, _NotJSONError) else f"{type(exc).__name__}: {exc}"
        raise TemplateRenderError(path, source, _with_source(message, source)) from None


_ERROR_KINDS: dict[type[Exception], type[TemplateError]] = {
    jinja2.exceptions.SecurityError: TemplateSecurityError,
    jinja2.UndefinedError: TemplateUndefinedError,
}


def _compile_string(source: str, path: str) -> _Compiled:
    try:
        return _compile(source)
    except jinja2.TemplateSyntaxError as exc:
        message = exc.message or "invalid template"
        if "\n" in source and exc.lineno:
            message = f"{message.rstrip('.')} at line {exc.lineno}"
        raise TemplateSyntaxError(path, source, _with_source(message, source)) from None


@functools.lru_cache(maxsize=4096)
def _compile(source: str) -> _Compiled:
    translated, whole, env_names = _translate(source)
    if whole is None:
        return _Compiled(_ENV.from_string(translated).render, env_names)
    try:
        expression = _ENV.compile_expression(whole, undefined_to_none=False)
    except jinja2.TemplateSyntaxError:
        # The template parser words errors better than the expression parser ("chunk after
        # expression"), so let it report them; re-raise ours if it somehow accepts the text.
        _ENV.from_string(translated)
        raise
    return _Compiled(_json_result(expression), env_names)


def _json_result(expression: TemplateExpression) -> Callable[..., Any]:
    # A whole-expression string keeps its value's JSON type instead of becoming text.
    return lambda *args, **kwargs: _to_json(expression(*args, **kwargs))


def _with_source(message: str, source: str) -> str:
    limit = _MESSAGE_EXPRESSION_LIMIT  # a long block scalar would drown the message
    shown = source if len(source) <= limit else source[:limit] + "…"
    return f"{message.rstrip('.')} in {json.dumps(shown, ensure_ascii=False)}"


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return str(key)
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)  # what json.dumps would do to the key anyway
    raise _NotJSONError(f"value of type {type(key).__name__!r} is not a JSON object key")


def _to_json(value: Any) -> Any:
    """Copy a template result into plain JSON types, failing on anything else."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return str(value)  # drops Markup (from `| tojson`) to a plain str
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise _NotJSONError(f"{value} is not a JSON number")
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises its own, precise error here
        raise _NotJSONError("undefined value")  # pragma: no cover - StrictUndefined always raises
    if isinstance(value, Mapping):
        return {_json_key(key): _to_json(item) for key, item in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
        # tuples, ranges, and the generators that filters like `map` return
        return [_to_json(item) for item in value]
    raise _NotJSONError(f"value of type {type(value).__name__!r} is not JSON")


# --- source translation: leading dots and $NAME -> plain Jinja ----------------------------------

_OPEN_RE = re.compile(r"\{([{%#])")
_RAW_RE = re.compile(r"\{%[-+]?\s*raw\s*[-+]?%\}")
_ENDRAW_RE = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")
_NAME_RE = re.compile(r"[^\W\d]\w*")
_NUMBER_RE = re.compile(r"\d\w*")
_STRING_RE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.S)
_ENV_RE = re.compile(r"\$(?:(\$)|\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*)|(\{)(?!\{))", re.A)
_ENV_OR_ESCAPE_RE = re.compile(r"\\.|" + _ENV_RE.pattern, re.A | re.S)
# After these words a dot starts a Go-style path (`if .x`, `.a and .b`) rather than an attribute.
_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "if", "else", "elif"})
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def _translate(source: str) -> tuple[str, str | None, tuple[str, ...]]:
    """Return (Jinja source, the expression if `source` is exactly one `{{ }}`, env names)."""
    out: list[str] = []
    env: dict[str, None] = {}  # an ordered set
    kinds: list[str] = []
    whole: str | None = None
    pos = 0
    while pos < len(source):
        opening = _OPEN_RE.search(source, pos)
        text_end = opening.start() if opening else len(source)
        if text_end > pos:
            out.append(_translate_text(source, pos, text_end, env))
            kinds.append("text")
        if opening is None:
            break
        kinds.append(opening.group(1))
        if opening.group(1) == "#":
            end = source.find("#}", opening.end())
            pos = len(source) if end < 0 else end + 2
            out.append(source[opening.start() : pos])
        elif raw := _RAW_RE.match(source, opening.start()):
            # raw blocks are verbatim by definition: no dots rewritten, no $NAME expanded
            endraw = _ENDRAW_RE.search(source, raw.end())
            pos = endraw.end() if endraw else len(source)
            out.append(source[opening.start() : pos])
        else:
            delimiter = "}}" if opening.group(1) == "{" else "%}"
            code, closed, pos = _translate_code(source, opening.end(), delimiter, env)
            out.append(opening.group() + code + (delimiter if closed else ""))
            if closed and delimiter == "}}":
                whole = code[1:] if code.startswith(("-", "+")) else code
                whole = whole[:-1] if whole.endswith("-") else whole
    return "".join(out), whole if kinds == ["{"] else None, tuple(env)


def _translate_text(source: str, start: int, end: int, env: dict[str, None]) -> str:
    out = []
    for index, piece in enumerate(pieces := _env_pieces(source, start, end, env, escapes=False)):
        if index % 2:
            out.append(f"{{{{ {_ENV_VAR}[{piece!r}] }}}}")
        elif piece.endswith("{") and index + 1 < len(pieces):
            # `{$X}` must not become `{{{ ... }}}`, which Jinja would read as a dict literal
            out.append(piece[:-1] + "{{ '{' }}")
        else:
            out.append(piece)
    return "".join(out)


def _translate_code(
    source: str, pos: int, delimiter: str, env: dict[str, None]
) -> tuple[str, bool, int]:
    """Rewrite one `{{ }}`/`{% %}` body from `pos`; return (body, whether closed, next pos)."""
    out: list[str] = []
    depth = 0
    prev = "start"  # "value" (a dot after it is attribute access), "dot", or an operator
    tag_pending = delimiter == "%}"  # the first word of a block is its tag: `{% if .x %}`
    while pos < len(source):
        if depth == 0 and source.startswith(delimiter, pos):
            return "".join(out), True, pos + len(delimiter)
        char = source[pos]
        token = None
        if char.isspace():
            out.append(char)
            pos += 1
            continue
        if char in "'\"" and (token := _STRING_RE.match(source, pos)):
            pieces = _env_pieces(source, token.start() + 1, token.end() - 1, env, escapes=True)
            text = _concat(pieces, (char + "{}" + char).format)
            out.append(text if len(pieces) == 1 else f"({text})")
            prev = "value"
        elif char == "$" and (token := _ENV_RE.match(source, pos)):
            out.append(_concat(_env_pieces(source, pos, token.end(), env, escapes=False), repr))
            prev = "value"
        elif char == "." and prev not in ("value", "dot"):
            # Go-template leading dot: `.input.x` -> `input.x`; a bare `.` is the payload.
            follows_name = _NAME_RE.match(source, pos + 1) is not None
            out.append(" " if follows_name else " input ")
            prev = "op" if follows_name else "value"
            pos += 1
            continue
        elif token := _NAME_RE.match(source, pos):
            word = token.group()
            out.append(word)
            is_keyword = prev != "dot" and (tag_pending or word in _KEYWORDS)
            prev = "op" if is_keyword else "value"
            tag_pending = False
        elif token := _NUMBER_RE.match(source, pos):
            out.append(token.group())
            prev = "value"
        else:
            out.append(char)
            if char in _CLOSERS:
                depth += 1
            elif char in _CLOSERS.values():
                depth = max(depth - 1, 0)
            prev = "value" if char in _CLOSERS.values() else "dot" if char == "." else "op"
            pos += 1
            continue
        pos = token.end()
    return "".join(out), False, pos


def _env_pieces(
    source: str, start: int, end: int, env: dict[str, None], *, escapes: bool
) -> list[str]:
    """Split source[start:end] at env references: [text, NAME, text, NAME, ..., text].

    `$$` becomes `$`; with `escapes` (inside a Jinja string literal) backslash escapes are
    copied whole, so `\\$X` is not a reference."""
    pieces, current, pos = [], [], start
    pattern = _ENV_OR_ESCAPE_RE if escapes else _ENV_RE
    while (match := pattern.search(source, pos, end)) is not None:
        current.append(source[pos : match.start()])
        pos = match.end()
        dollar, braced, bare, bad = match.group(1, 2, 3, 4)
        if match.group().startswith("\\"):
            current.append(match.group())
        elif dollar:
            current.append("$")
        elif bad:
            lineno = source.count("\n", 0, match.start()) + 1
            message = '"${" must be followed by a variable name and "}" (write $$ for a literal $)'
            raise jinja2.TemplateSyntaxError(message, lineno)
        else:
            name = braced or bare
            env[name] = None
            pieces += ["".join(current), name]
            current = []
    current.append(source[pos:end])
    pieces.append("".join(current))
    return pieces


def _concat(pieces: list[str], quote: Callable[[str], str]) -> str:
    """Join `_env_pieces` output into one Jinja `~` expression, quoting the text parts."""
    parts = [
        f"{_ENV_VAR}[{piece!r}]" if index % 2 else quote(piece)
        for index, piece in enumerate(pieces)
        if index % 2 or piece
    ]
    return " ~ ".join(parts) if parts else "''"
