"""Actions: the functions a worker runs, and how their input and output cross the wire.

An action is called as `fn(input, ctx)`. When its first parameter is annotated with a pydantic
model class the input is validated into that model first; whatever it returns is turned into JSON
here, and checked with the daemon's own rules (`hatchetd.contracts.json_values`: no NUL, finite
numbers, at most 64 levels), so that a value the daemon could not store fails the step on the
worker, with a message that names the action and the path, instead of being refused forever.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from hatchetd.contracts.json_values import JsonProblem, check_json

ActionFunction = Callable[[Any, Any], Any] | Callable[[Any, Any], Awaitable[Any]]
"""`def action(input, ctx) -> output`, or an `async def` of the same shape."""

MAX_OUTPUT_BYTES = 1024 * 1024
"""The largest output, as JSON, a step may return: the same limit as an event's payload. A larger
one fails the step here rather than being refused by the daemon, which would close the socket and
make the worker send it again after every reconnect."""

# The same rule as `hatchetd.contracts.spec.Action` (a test checks that they agree); repeated here
# so that the SDK does not load the workflow spec and its cron library.
_ACTION_NAME = re.compile(r"[^\s:]+:[^\s:]+")


class InvalidInput(Exception):
    """The step's input does not validate into the action's pydantic model."""


class InvalidOutput(Exception):
    """The action returned a value that cannot be sent as its step's output."""


def check_action_name(name: object) -> str:
    """`name` if it looks like `integration:verb`; a ValueError saying what is wrong otherwise."""
    if not isinstance(name, str) or not _ACTION_NAME.fullmatch(name):
        raise ValueError(
            f"invalid action name {name!r}: must look like integration:verb, "
            "e.g. 'postmark:email-from-template' (one ':' and no spaces)"
        )
    return name


@dataclass(frozen=True, slots=True)
class Action:
    """A registered action: its name, the function, and how to call it."""

    name: str
    fn: ActionFunction
    is_async: bool
    input_model: type[BaseModel] | None
    """The pydantic model the input is validated into, when the first parameter names one."""

    @classmethod
    def create(
        cls, name: str, fn: ActionFunction, *, localns: Mapping[str, Any] | None = None
    ) -> Action:
        """Check `name` and `fn` now, at registration, so mistakes show before any step runs.

        `localns` is the namespace of the code registering the action: with postponed
        annotations, a model class defined inside a function is found there.
        """
        check_action_name(name)
        if not callable(fn):
            raise TypeError(f"action {name}: {fn!r} is not callable")
        first = _first_parameter(name, fn)
        return cls(
            name=name,
            fn=fn,
            is_async=_is_async(fn),
            input_model=_input_model(name, fn, first, localns or {}),
        )

    def prepare_input(self, value: Any) -> Any:
        """The input as the action receives it; `InvalidInput` when it does not fit the model."""
        if self.input_model is None:
            return value
        try:
            # A step without `with:` has no input: let the model's defaults speak for it.
            return self.input_model.model_validate({} if value is None else value)
        except ValidationError as exc:
            raise InvalidInput(f"invalid input for {self.name}: {describe(exc)}") from None

    def to_output(self, value: Any) -> Any:
        """What the action returned, as a JSON value; `InvalidOutput` when it cannot be one."""
        if inspect.isawaitable(value):
            if inspect.iscoroutine(value):
                value.close()  # never awaited, on purpose: no "coroutine was never awaited"
            raise InvalidOutput(
                f"{self.name} returned an awaitable; declare the action with `async def` "
                "so that the worker awaits it"
            )
        try:
            if isinstance(value, BaseModel):
                output = value.model_dump(mode="json")
            else:
                output = to_jsonable_python(value)
        except (PydanticSerializationError, TypeError, ValueError) as exc:
            raise InvalidOutput(
                f"{self.name} returned a value that is not JSON-serialisable ({exc}); return a "
                "dict, list, str, number, bool, None or a pydantic model"
            ) from None
        try:
            # The daemon's own rules: an output it would refuse fails the step here, once,
            # instead of waiting unacknowledged for every reconnect to send it again.
            check_json(output)
        except JsonProblem as exc:
            raise InvalidOutput(
                f"{self.name} returned a value hatchetd cannot store: {exc.describe('output')}"
            ) from None
        text = json.dumps(output)
        size = len(text.encode())
        if size > MAX_OUTPUT_BYTES:
            raise InvalidOutput(
                f"{self.name} returned {size} bytes of JSON; a step's output is limited to "
                f"{MAX_OUTPUT_BYTES} bytes: store large data elsewhere and return a reference"
            )
        return output


def describe(exc: ValidationError) -> str:
    """Pydantic's errors as one line: `email: field required; age: input should be ...`."""
    parts = []
    for error in exc.errors(include_url=False):
        message = error["msg"][:1].lower() + error["msg"][1:]
        where = ".".join(str(part) for part in error["loc"])
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _first_parameter(name: str, fn: ActionFunction) -> inspect.Parameter:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have no signature: trust the caller
        return inspect.Parameter("input", inspect.Parameter.POSITIONAL_ONLY)
    try:
        signature.bind(None, None)
    except TypeError:
        raise TypeError(
            f"action {name}: {_qualname(fn)}{signature} must accept two positional arguments, "
            "(input, ctx)"
        ) from None
    positional = [
        parameter
        for parameter in signature.parameters.values()
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    if positional:
        return positional[0]
    return inspect.Parameter("input", inspect.Parameter.POSITIONAL_ONLY)  # (*args)


def _input_model(
    name: str, fn: ActionFunction, parameter: inspect.Parameter, localns: Mapping[str, Any]
) -> type[BaseModel] | None:
    annotation = parameter.annotation
    if isinstance(annotation, str):
        # `from __future__ import annotations` leaves the annotation as text; resolve just this
        # one, so an unrelated annotation (say, of `ctx`) that cannot be resolved does no harm.
        scope = _globals_of(fn)
        try:
            annotation = eval(annotation, scope, dict(localns))
        except Exception:
            raise TypeError(
                f"action {name}: cannot resolve the annotation {parameter.annotation!r} of "
                f"{_qualname(fn)}'s first parameter; import or define it where the action is "
                "registered, or annotate the input as dict"
            ) from None
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _globals_of(fn: object) -> dict[str, Any]:
    """The module namespace `fn` was defined in (seeing through partials and decorators)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)  # a bound method
    if callable(fn) and hasattr(fn, "__wrapped__"):
        fn = inspect.unwrap(fn)
    if not hasattr(fn, "__globals__"):  # an instance with `__call__`
        fn = type(fn).__call__
    return dict(getattr(fn, "__globals__", {}))


def _is_async(fn: ActionFunction) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    # An instance whose class has `async def __call__`.
    return inspect.iscoroutinefunction(type(fn).__call__)


def _qualname(fn: object) -> str:
    return str(getattr(fn, "__qualname__", None) or repr(fn))
