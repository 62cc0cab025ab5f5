"""Declaring a worker and its actions (design §9): what is accepted, and the errors a user sees
at registration, before any step runs."""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from hatchet_cli.sdk import Context, Worker
from hatchet_cli.sdk._actions import Action
from hatchetd.contracts.spec import Action as SpecAction


class Signup(BaseModel):
    email: str


def echo(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    return input


def test_the_decorator_registers_the_action_and_returns_the_function_unchanged() -> None:
    worker = Worker("billing")

    @worker.action("echo:echo")
    def handler(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return input

    assert worker.actions == ["echo:echo"]
    assert handler({"a": 1}, None) == {"a": 1}  # type: ignore[arg-type]
    assert handler.__hatchet_action__ == "echo:echo"  # type: ignore[attr-defined]


def test_register_action_takes_functions_partials_lambdas_and_callable_objects() -> None:
    class AsyncHandler:
        async def __call__(self, input: Any, ctx: Context) -> None:
            return None

    worker = Worker("billing")
    worker.register_action("echo:echo", echo)
    worker.register_action("echo:partial", functools.partial(lambda extra, input, ctx: extra, 1))
    worker.register_action("echo:lambda", lambda input, ctx: input)
    worker.register_action("echo:object", AsyncHandler())

    assert worker.actions == ["echo:echo", "echo:partial", "echo:lambda", "echo:object"]


@pytest.mark.parametrize(
    ("fn", "is_async"),
    [(echo, False), (lambda input, ctx: None, False)],
)
def test_sync_actions_are_recognised(fn: Any, is_async: bool) -> None:
    assert Action.create("echo:echo", fn).is_async is is_async


def test_async_actions_are_recognised() -> None:
    async def handler(input: Any, ctx: Context) -> None:
        return None

    class Handler:
        async def __call__(self, input: Any, ctx: Context) -> None:
            return None

    assert Action.create("echo:echo", handler).is_async
    assert Action.create("echo:echo", functools.partial(handler)).is_async
    assert Action.create("echo:echo", Handler()).is_async


@pytest.mark.parametrize(
    "name", ["echo", "echo:", ":echo", "echo:echo:echo", "echo :echo", "", " echo:echo"]
)
def test_an_action_name_must_look_like_integration_verb(name: str) -> None:
    worker = Worker("billing")

    with pytest.raises(ValueError, match="must look like integration:verb") as caught:
        worker.register_action(name, echo)

    assert str(caught.value).startswith(f"invalid action name {name!r}: ")
    assert worker.actions == []


@pytest.mark.parametrize(
    "name",
    ["echo:echo", "postmark:email-from-template", "a:b", "a:b:c", "a b:c", ":x", "é:ü", "x:"],
)
def test_the_name_rule_is_the_workflow_files_rule(name: str) -> None:
    try:
        TypeAdapter(SpecAction).validate_python(name)
    except ValidationError:
        in_files = False
    else:
        in_files = True
    try:
        Action.create(name, echo)
    except ValueError:
        in_sdk = False
    else:
        in_sdk = True
    assert in_sdk is in_files


def test_a_name_can_be_registered_once() -> None:
    worker = Worker("billing")
    worker.register_action("echo:echo", echo)

    with pytest.raises(ValueError, match="action echo:echo is already registered") as caught:

        @worker.action("echo:echo")
        def again(input: Any, ctx: Context) -> None:
            return None

    assert str(caught.value) == (
        "action echo:echo is already registered on worker 'billing' (by test_sdk_actions.echo)"
    )


def test_an_action_must_take_input_and_ctx() -> None:
    def no_context(input: Any) -> None:
        return None

    worker = Worker("billing")

    with pytest.raises(TypeError) as caught:
        worker.register_action("echo:echo", no_context)  # type: ignore[arg-type]

    assert str(caught.value) == (
        "action echo:echo: test_an_action_must_take_input_and_ctx.<locals>.no_context"
        "(input: 'Any') -> 'None' must accept two positional arguments, (input, ctx)"
    )


def test_something_not_callable_is_refused() -> None:
    with pytest.raises(TypeError, match="is not callable"):
        Worker("billing").register_action("echo:echo", "echo")  # type: ignore[arg-type]


def test_a_model_annotation_on_the_first_parameter_selects_validation() -> None:
    def with_model(input: Signup, ctx: Context) -> None:
        return None

    def with_annotated(input: Annotated[Signup, "doc"], ctx: Context) -> None:
        return None

    def with_dict(input: dict[str, Any], ctx: Context) -> None:
        return None

    assert Action.create("a:b", with_model).input_model is Signup
    assert Action.create("a:b", with_annotated).input_model is Signup
    assert Action.create("a:b", with_dict).input_model is None
    assert Action.create("a:b", lambda input, ctx: None).input_model is None


def test_a_model_defined_next_to_the_registration_is_found() -> None:
    class Local(BaseModel):
        n: int

    worker = Worker("billing")

    @worker.action("a:decorated")
    def decorated(input: Local, ctx: Context) -> None:
        return None

    def plain(input: Local, ctx: Context) -> None:
        return None

    worker.register_action("a:plain", plain)

    assert [action.input_model for action in worker._actions.values()] == [Local, Local]


def test_an_annotation_that_cannot_be_resolved_is_reported_at_registration() -> None:
    def handler(input: Missing, ctx: Context) -> None:  # type: ignore[name-defined]  # noqa: F821
        return None

    with pytest.raises(TypeError) as caught:
        Worker("billing").register_action("a:b", handler)

    assert str(caught.value) == (
        "action a:b: cannot resolve the annotation 'Missing' of "
        "test_an_annotation_that_cannot_be_resolved_is_reported_at_registration.<locals>.handler's"
        " first parameter; import or define it where the action is registered, or annotate the "
        "input as dict"
    )


def test_an_unresolvable_annotation_on_ctx_does_no_harm() -> None:
    def handler(input: Signup, ctx: Nowhere) -> None:  # type: ignore[name-defined]  # noqa: F821
        return None

    assert Action.create("a:b", handler).input_model is Signup


# -- the worker itself ----------------------------------------------------------------------


def test_a_worker_takes_its_address_and_token_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HATCHET_ADDRESS", raising=False)
    assert Worker("w").address == "http://127.0.0.1:7070"

    monkeypatch.setenv("HATCHET_ADDRESS", "https://hatchet.example.com:8443/")
    assert Worker("w").address == "https://hatchet.example.com:8443"
    assert Worker("w", address="http://10.0.0.2:7070").address == "http://10.0.0.2:7070"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "invalid worker name '': use 1 to 200 characters"),
        ({"name": "a\x00b"}, "invalid worker name 'a\\x00b': use 1 to 200 characters, no NUL"),
        ({"slots": 0}, "invalid slots 0: a whole number from 1 to 10000"),
        ({"slots": 2.5}, "invalid slots 2.5: a whole number from 1 to 10000"),
        ({"address": "ftp://host"}, "invalid daemon address 'ftp://host': expected http://"),
        ({"heartbeat_interval": 0}, "invalid heartbeat_interval 0: must be > 0"),
        ({"shutdown_timeout": -1}, "invalid shutdown_timeout -1: must be >= 0"),
        ({"reconnect_delay": 5, "max_reconnect_delay": 1}, "reconnect delays need 0 < base"),
    ],
)
def test_a_worker_with_impossible_settings_is_refused(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"name": "w", **kwargs}
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        Worker(**arguments)


def test_a_worker_without_actions_refuses_to_run() -> None:
    with pytest.raises(RuntimeError, match="worker 'w' has no actions: register some with"):
        asyncio.run(Worker("w").arun())
