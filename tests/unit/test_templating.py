"""Rendering of `with:` values (design §4): what a step's action receives, and the errors a user
sees when a template cannot be rendered."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml

from hatchetd.template_checks import check_workflow_templates
from hatchetd.templating import (
    TemplateError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
    TemplateUndefinedError,
    build_template_data,
    render_value,
)

COMPAT = Path(__file__).parents[1] / "fixtures" / "compat"

PAYLOAD: dict[str, Any] = {
    "username": "ann",
    "count": 3,
    "ok": True,
    "nothing": None,
    "tags": ["a", "b"],
    "user": {"email": "ann@example.com", "firstName": "Ann"},
}
STEPS: dict[str, Any] = {
    "echo1": {"message": "Username is ann"},
    "echo3": {"json": {"a": [1, {"b": 2}]}},
    "a": {"items": ["x", "y"]},
}
ENV = {"SLACK_USER_ID": "U123", "REGION": "eu"}


def data(payload: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    parts: dict[str, Any] = {
        "input": PAYLOAD if payload is None else payload,
        "steps": STEPS,
        "event": {"id": "ev1", "key": "user:create", "created_at": "2024-05-01T00:00:00Z"},
        "workflow": {"name": "post-user-sign-up", "version": "v0.2.0"},
        "run": {"id": "run1"},
    }
    parts.update(overrides)
    return build_template_data(**parts)


def render(value: Any, payload: dict[str, Any] | None = None, env: dict[str, str] = ENV) -> Any:
    return render_value(value, data(payload), environ=env)


def error(value: Any, payload: dict[str, Any] | None = None) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        render_value(value, data(payload), environ=ENV)
    return info.value


# --- the original workflow files ---------------------------------------------------------------


def test_compat_username_message() -> None:
    assert render("Username is {{ .input.username }}") == "Username is ann"


def test_compat_previous_step_output() -> None:
    assert render("Above message is: {{ .steps.echo1.message }}") == (
        "Above message is: Username is ann"
    )


def test_compat_whole_expression_gives_the_object() -> None:
    assert render("{{ .steps.echo3.json }}") == {"a": [1, {"b": 2}]}


def test_compat_top_level_payload_keys_are_reachable_directly() -> None:
    assert render("{{ .user.email }}") == "ann@example.com"


def test_compat_environment_variable_in_a_list() -> None:
    assert render(["$SLACK_USER_ID"]) == ["U123"]


def test_every_with_value_in_the_compat_fixtures_compiles() -> None:
    def with_values(node: Any) -> list[Any]:
        if isinstance(node, dict):
            found = [node["with"]] if "with" in node else []
            return found + [v for item in node.values() for v in with_values(item)]
        if isinstance(node, list):
            return [v for item in node for v in with_values(item)]
        return []

    files = sorted(COMPAT.rglob("*.yaml"))
    assert files
    workflows = [yaml.safe_load(file.read_text()) for file in files]
    assert sum(len(with_values(workflow)) for workflow in workflows) > 5  # not vacuous
    for file, workflow in zip(files, workflows, strict=True):
        assert check_workflow_templates(workflow) == [], file.name


# --- both syntaxes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hi {{ input.username }}", "Hi ann"),
        ("Hi {{ .input.username }}", "Hi ann"),
        ("Hi {{.input.username}}", "Hi ann"),
        ("{% if .input.ok %}yes{% else %}no{% endif %}", "yes"),
        ("{%- if not .input.ok %}yes{% elif .input.count > 2 %}big{% endif %}", "big"),
        ("{% for t in .input.tags %}{{ t }};{% endfor %}", "a;b;"),
        ("{% set n = .input.count %}{{ n }}", "3"),
        ("{{ .input.missing | default(.input.username) }}", "ann"),
        ("{{ .input.count > 2 and .input.ok }}", True),
        ("{{ .input.username if .input.ok else .user.email }}", "ann"),
        ("{{ [.input.count, .user.firstName] }}", [3, "Ann"]),
        ("{{ {'n': .input.count} }}", {"n": 3}),
        ("{{ .input.tags[0] }}", "a"),
        ("{{ .steps['echo1'].message }}", "Username is ann"),
        ("{{ .input.username.upper() }}", "ANN"),
    ],
)
def test_leading_dot_and_plain_jinja(template: str, expected: Any) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ input.count + 1.5 }}", 4.5),
        ('{{ "a .b" }}', "a .b"),
        ("{{ 'x.' ~ .input.username }}", "x.ann"),
        ("{{ (.input.tags).0 }}", "a"),
        ("{{ .input.username .upper() }}", "ANN"),
    ],
)
def test_dots_that_are_not_leading_are_left_alone(template: str, expected: Any) -> None:
    assert render(template) == expected


def test_bare_dot_is_the_whole_payload() -> None:
    assert render("{{ . }}") == PAYLOAD
    assert render("{{ .['username'] }}") == "ann"


def test_dict_keys_win_over_dict_methods() -> None:
    # `items`, `keys`, `values` are both dict methods and common output names
    assert render("{{ .steps.a.items }}") == ["x", "y"]
    assert render("{{ .keys }}", {"keys": [1]}) == [1]
    assert render("{{ input.keys() }}", {"k": 1}) == ["k"]


# --- types -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ .input.tags }}", ["a", "b"]),
        ("{{ .user }}", {"email": "ann@example.com", "firstName": "Ann"}),
        ("{{ .input.count }}", 3),
        ("{{ .input.ok }}", True),
        ("{{ .input.nothing }}", None),
        ("{{ 1.5 }}", 1.5),
        ("{{  .input.count  }}", 3),
        ("{{- .input.count -}}", 3),
        ("{{ (1, 2) }}", [1, 2]),
        ("{{ range(3) }}", [0, 1, 2]),
        ("{{ .input.tags | map('upper') }}", ["A", "B"]),
        ("{{ {1: 'one'} }}", {"1": "one"}),
    ],
)
def test_a_whole_expression_keeps_its_json_type(template: str, expected: Any) -> None:
    result = render(template)
    assert result == expected
    assert type(result) is type(expected)


def test_results_are_copies_not_the_event_data() -> None:
    payload: dict[str, Any] = {"tags": ["a"]}
    result = render("{{ .input.tags }}", payload)
    result.append("b")
    assert payload == {"tags": ["a"]}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (" {{ .input.count }}", " 3"),
        ("{{ .input.count }} ", "3 "),
        ("{{ .input.count }}{{ .input.count }}", "33"),
        ("{{ .input.count }}{# note #}", "3"),
        (
            "n={{ .input.count }} ok={{ .input.ok }} none={{ .input.nothing }}",
            "n=3 ok=true none=null",
        ),
        ("tags: {{ .input.tags }}", 'tags: ["a", "b"]'),
        ("user: {{ .user }}", 'user: {"email": "ann@example.com", "firstName": "Ann"}'),
        ("line\n", "line\n"),
        ("{{ .input.username }}\n", "ann\n"),
        (
            "{% raw %}{{ .input.username }} $SLACK_USER_ID{% endraw %}",
            "{{ .input.username }} $SLACK_USER_ID",
        ),
    ],
)
def test_any_other_string_renders_to_text(template: str, expected: str) -> None:
    assert render(template) == expected


def test_nested_maps_and_lists_are_all_rendered() -> None:
    value = {
        "to": "{{ .user.email }}",
        "ids": ["$SLACK_USER_ID", "{{ .input.count }}", 7],
        "meta": {"deep": [{"name": "{{ .input.username | upper }}"}], "flag": False, "none": None},
        "plain": "no templates here",
    }
    assert render(value) == {
        "to": "ann@example.com",
        "ids": ["U123", 3, 7],
        "meta": {"deep": [{"name": "ANN"}], "flag": False, "none": None},
        "plain": "no templates here",
    }


def test_keys_are_not_rendered() -> None:
    assert render({"{{ .input.username }}": "$REGION"}) == {"{{ .input.username }}": "eu"}


def test_scalars_pass_through() -> None:
    assert render(None) is None
    assert render(1.25) == 1.25
    assert render((1, "{{ .input.count }}")) == [1, 3]


# --- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ .input.missing | default('x') }}", "x"),
        ("{{ .input.username | upper }}", "ANN"),
        ("{{ .input.tags | tojson }}", '["a", "b"]'),
        ("{{ .user | tojson }}", '{"email": "ann@example.com", "firstName": "Ann"}'),
        ("{{ .input.tags | join(', ') }}", "a, b"),
        ("{{ .input.tags | length }}", 2),
        ("sum: {{ [1, 2] | sum }}", "sum: 3"),
    ],
)
def test_filters(template: str, expected: Any) -> None:
    result = render(template)
    assert result == expected
    assert type(result) is type(expected)


# --- environment variables ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("$REGION", "eu"),
        ("${REGION}", "eu"),
        ("region-$REGION", "region-eu"),
        ("${REGION}_1", "eu_1"),
        ("$REGION_1 is not set but $$REGION_1 is text", None),
        ("costs $$5", "costs $5"),
        ("$$REGION", "$REGION"),
        ("$", "$"),
        ("$5 and $ and 100$", "$5 and $ and 100$"),
        ("${{ .input.count }}", "$3"),
        ("{$REGION}", "{eu}"),
        ("$REGION {{ .input.username }}", "eu ann"),
        ("{{ $REGION | upper }}", "EU"),
        ('{{ "in $REGION" ~ "!" }}', "in eu!"),
        ("{{ 'a $$ b' }}", "a $ b"),
        ("{# $UNSET is ignored in a comment #}ok", "ok"),
    ],
)
def test_environment_variables(template: str, expected: str | None) -> None:
    if expected is None:
        assert str(error(template)) == "with: environment variable $REGION_1 is not set"
    else:
        assert render(template) == expected


def test_an_environment_value_is_never_compiled() -> None:
    env = {"T": "{{ 7*7 }} $REGION {% if %}"}
    assert render("$T", env=env) == "{{ 7*7 }} $REGION {% if %}"
    assert render("x ${T} y", env=env) == "x {{ 7*7 }} $REGION {% if %} y"


def test_an_unset_environment_variable_names_it() -> None:
    with pytest.raises(TemplateUndefinedError) as info:
        render_value({"userIds": ["$SLACK_USER_ID"]}, data(), environ={})
    assert str(info.value) == "with.userIds[0]: environment variable $SLACK_USER_ID is not set"
    assert info.value.path == "with.userIds[0]"
    assert info.value.expression == "$SLACK_USER_ID"
    assert info.value.message == "environment variable $SLACK_USER_ID is not set"


def test_a_malformed_braced_reference_is_a_syntax_error() -> None:
    err = error("x ${1}")
    assert isinstance(err, TemplateSyntaxError)
    assert str(err) == (
        'with: "${" must be followed by a variable name and "}" (write $$ for a literal $) '
        'in "x ${1}"'
    )


def test_environ_defaults_to_the_process_environment() -> None:
    import os

    names = [name for name in os.environ if name.isidentifier() and name.isascii()]
    if not names:
        pytest.skip("the process environment has no usable variable")
    assert render_value(f"${{{names[0]}}}", data()) == os.environ[names[0]]


# --- event data is data ----------------------------------------------------------------------


def test_a_payload_value_is_never_compiled() -> None:
    payload = {"x": "{{ 7*7 }}", "y": "$SLACK_USER_ID", "z": "{{ ''.__class__.__mro__ }}"}
    assert render("{{ .input.x }}", payload) == "{{ 7*7 }}"
    assert render("{{ .input.y }}", payload) == "$SLACK_USER_ID"
    assert render("z={{ .input.z }}", payload) == "z={{ ''.__class__.__mro__ }}"


def test_payload_keys_do_not_shadow_the_reserved_names() -> None:
    payload = {"steps": "fake", "run": 1, "input": 2, "event": 3, "workflow": 4, "email": "e"}
    built = data(payload)
    assert built["steps"] is STEPS
    assert built["input"] is payload
    assert built["run"] == {"id": "run1"}
    assert built["email"] == "e"
    assert render("{{ .steps.echo1.message }}|{{ .input.steps }}", payload) == (
        "Username is ann|fake"
    )


def test_cron_runs_have_no_event() -> None:
    built = data({}, event=None)
    assert render_value("{{ .event }}", built, environ={}) is None
    assert render_value("{{ .workflow.name }}@{{ .run.id }}", built, environ={}) == (
        "post-user-sign-up@run1"
    )


# --- strict undefined ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            {"message": "Username is {{ .input.foo }}"},
            "with.message: 'dict object' has no attribute 'foo' "
            'in "Username is {{ .input.foo }}"',
        ),
        ({"m": "{{ .nope }}"}, "with.m: 'nope' is undefined in \"{{ .nope }}\""),
        (
            {"m": "{{ .input.foo }}"},
            "with.m: 'dict object' has no attribute 'foo' in \"{{ .input.foo }}\"",
        ),
        (
            {"m": "{{ [.input.foo] }}"},
            "with.m: 'dict object' has no attribute 'foo' in \"{{ [.input.foo] }}\"",
        ),
        (
            {"m": "{{ .input.tags[5] }}"},
            'with.m: list object has no element 5 in "{{ .input.tags[5] }}"',
        ),
        (
            {"m": "{{ .input.count.b }}"},
            "with.m: 'int object' has no attribute 'b' in \"{{ .input.count.b }}\"",
        ),
        (
            {"m": "{% if .nope %}x{% endif %}"},
            "with.m: 'nope' is undefined in \"{% if .nope %}x{% endif %}\"",
        ),
        (
            {"a": {"b": [0, 1, {"c": "{{ .x }}"}]}},
            "with.a.b[2].c: 'x' is undefined in \"{{ .x }}\"",
        ),
    ],
)
def test_strict_undefined(value: Any, expected: str) -> None:
    err = error(value)
    assert isinstance(err, TemplateUndefinedError)
    assert str(err) == expected


def test_an_error_carries_path_expression_and_message() -> None:
    err = error({"message": "Username is {{ .input.foo }}"})
    assert err.path == "with.message"
    assert err.expression == "Username is {{ .input.foo }}"
    assert err.message == "'dict object' has no attribute 'foo' in \"Username is {{ .input.foo }}\""


def test_the_path_prefix_is_the_callers() -> None:
    with pytest.raises(TemplateUndefinedError) as info:
        render_value(["{{ .x }}"], data(), environ={}, path="jobs.a.steps[0].with")
    assert info.value.path == "jobs.a.steps[0].with[0]"


def test_a_long_expression_is_shortened_in_the_message() -> None:
    template = "{{ .nope }}" + "x" * 300
    err = error(template)
    assert err.expression == template
    assert err.message == "'nope' is undefined in \"{{ .nope }}" + "x" * 189 + '…"'


def test_errors_survive_pickling() -> None:
    err = error({"m": "{{ .nope }}"})
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is TemplateUndefinedError
    assert (copy.path, copy.expression, copy.message) == (err.path, err.expression, err.message)
    assert str(copy) == str(err)


# --- the sandbox -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "{{ ''.__class__.__mro__ }}",
            "access to attribute '__class__' of 'str' object is unsafe",
        ),
        (
            "{{ cycler.__init__.__globals__ }}",
            "access to attribute '__init__' of 'type' object is unsafe",
        ),
        (
            "{{ lipsum.__globals__ }}",
            "access to attribute '__globals__' of 'function' object is unsafe",
        ),
        ("{{ .input.__class__ }}", "access to attribute '__class__' of 'dict' object is unsafe"),
        ("{{ input.tags.append(1) }}", "access to attribute 'append' of 'list' object is unsafe"),
        ("{{ input.items.append(1) }}", "access to attribute 'append' of 'list' object is unsafe"),
        ("{{ input.update({}) }}", "access to attribute 'update' of 'dict' object is unsafe"),
        ("{{ .input.tags.pop() }}", "access to attribute 'pop' of 'list' object is unsafe"),
    ],
)
def test_sandbox_refuses_escapes(template: str, expected: str) -> None:
    err = error({"x": template}, {**PAYLOAD, "items": [1]})
    assert isinstance(err, TemplateSecurityError)
    assert str(err) == f'with.x: {expected} in "{template}"'


def test_sandbox_leaves_the_data_untouched() -> None:
    payload: dict[str, Any] = {"tags": ["a"]}
    with pytest.raises(TemplateSecurityError):
        render("{{ .input.tags.append('b') }}", payload)
    assert payload == {"tags": ["a"]}


def test_a_dict_method_on_a_missing_key_is_undefined_not_a_crash() -> None:
    err = error("{{ input.items.append(1) }}")
    assert isinstance(err, TemplateUndefinedError)
    assert err.message == (
        "'builtin_function_or_method object' has no attribute 'append' "
        'in "{{ input.items.append(1) }}"'
    )


# --- other render errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ 1 / 0 }}", 'ZeroDivisionError: division by zero in "{{ 1 / 0 }}"'),
        (
            "{{ .input.count + 'a' }}",
            "TypeError: unsupported operand type(s) for +: 'int' and 'str' "
            "in \"{{ .input.count + 'a' }}\"",
        ),
        (
            "{{ .input.get }}",
            "value of type 'builtin_function_or_method' is not JSON in \"{{ .input.get }}\"",
        ),
        ("x {{ namespace() }}", "value of type 'Namespace' is not JSON in \"x {{ namespace() }}\""),
    ],
)
def test_render_errors(template: str, expected: str) -> None:
    err = error(template)
    assert isinstance(err, TemplateRenderError)
    assert err.message == expected


def test_a_non_json_value_in_the_workflow_file_is_refused() -> None:
    with pytest.raises(TemplateRenderError) as info:
        render_value({"when": b"bytes"}, data(), environ={})
    assert str(info.value) == "with.when: value of type 'bytes' is not JSON"


# --- syntax errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ .input. }}", 'expected name or number in "{{ .input. }}"'),
        ("{{ foo( }}", "unexpected '}', expected ')' in \"{{ foo( }}\""),
        (
            "{{ .a b }}",
            "expected token 'end of print statement', got 'b' in \"{{ .a b }}\"",
        ),
        ("{{ .a", "unexpected end of template, expected 'end of print statement' in \"{{ .a\""),
        (
            "{% if .input.ok %}x",
            "Unexpected end of template. Jinja was looking for the following tags: 'elif' or "
            "'else' or 'endif'. The innermost block that needs to be closed is 'if' "
            'in "{% if .input.ok %}x"',
        ),
        ("{{ .a | nofilter }}", "No filter named 'nofilter' in \"{{ .a | nofilter }}\""),
        ("one\n{{ .input. }}", 'expected name or number at line 2 in "one\\n{{ .input. }}"'),
    ],
)
def test_syntax_errors(template: str, expected: str) -> None:
    err = error({"m": template})
    assert isinstance(err, TemplateSyntaxError)
    assert err.expression == template
    assert str(err) == f"with.m: {expected}"


def test_a_syntax_error_is_reported_before_a_missing_environment_variable() -> None:
    with pytest.raises(TemplateSyntaxError):
        render_value("$UNSET {{ .a. }}", data(), environ={})
