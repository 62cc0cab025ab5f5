"""Templates that would fail when their step renders are errors when the file is read, at the
file, line and column of the fault inside the template (issue 13)."""

from __future__ import annotations

import textwrap

import pytest

from hatchetd.contracts.parse import parse_text
from hatchetd.template_checks import check_workflow_templates, template_problems

HEAD = """\
name: greet
on: [user:create]
jobs:
  main:
    steps:
      - id: first
        action: echo:echo
      - id: second
        action: echo:echo
        with:
"""


def errors(with_lines: str, *, tail: str = "") -> list[str]:
    """The errors of a file whose second step's `with:` holds `with_lines` (from line 11)."""
    lines = textwrap.dedent(with_lines).rstrip("\n") + "\n"
    text = HEAD + textwrap.indent(lines, " " * 10) + tail
    parsed = parse_text(text, "wf.yaml", check=check_workflow_templates)
    if parsed.errors:
        assert parsed.spec is None
    return [str(error) for error in parsed.errors]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # the column is that of the fault inside the string, not of the value
        ('m: "{{ .input. }}"', "wf.yaml:11:26: jobs.main.steps[1].with.m: expected name or number"),
        (
            "m: '{{ foo( }}'",
            "wf.yaml:11:23: jobs.main.steps[1].with.m: unexpected '}', expected ')'",
        ),
        ("m: x={{ .input.x }", "wf.yaml:11:28: jobs.main.steps[1].with.m: unexpected '}'"),
        (
            "m: '{% if .a %}x'",
            "wf.yaml:11:15: jobs.main.steps[1].with.m: '{% if %}' is never closed: add "
            "'{% endif %}'",
        ),
        (
            'm: "ok {{ .a }} {% for x in .l %}{{ x }}"',
            "wf.yaml:11:27: jobs.main.steps[1].with.m: '{% for %}' is never closed: add "
            "'{% endfor %}'",
        ),
        (
            'm: "{{ .a | nofilter }}"',
            "wf.yaml:11:23: jobs.main.steps[1].with.m: unknown filter 'nofilter'",
        ),
        (
            'm: "{{ .a | tojsn }}"',
            "wf.yaml:11:23: jobs.main.steps[1].with.m: unknown filter 'tojsn' "
            "(did you mean 'tojson'?)",
        ),
        (
            'm: "{% filter shout %}x{% endfilter %}"',
            "wf.yaml:11:25: jobs.main.steps[1].with.m: unknown filter 'shout'",
        ),
        (
            'm: "{{ .a is not emptyish }}"',
            "wf.yaml:11:28: jobs.main.steps[1].with.m: unknown test 'emptyish'",
        ),
        (
            "m: 'say ${BAD'",
            'wf.yaml:11:19: jobs.main.steps[1].with.m: "${" must be followed by a variable '
            'name and "}" (write $$ for a literal $)',
        ),
    ],
)
def test_each_kind_of_template_error_at_its_column(line: str, expected: str) -> None:
    assert errors(line) == [expected]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'm: "{{ steps.second.x }}"',
            "wf.yaml:11:18: jobs.main.steps[1].with.m: steps.second: a step cannot read its "
            "own output",
        ),
        (
            "m: \"{{ steps['third'].x }}\"",
            "wf.yaml:11:18: jobs.main.steps[1].with.m: steps.third: step 'third' runs after "
            "this one; a step reads only earlier steps",
        ),
        (
            'm: "{{ .steps.frist.x }}"',
            "wf.yaml:11:19: jobs.main.steps[1].with.m: steps.frist: no step 'frist' in job "
            "'main' (did you mean 'first'?)",
        ),
        (
            'm: "{{ steps.audit.x }}"',
            "wf.yaml:11:18: jobs.main.steps[1].with.m: steps.audit: step 'audit' is in job "
            "'other'; a step reads only earlier steps of its job",
        ),
    ],
)
def test_steps_must_be_earlier_steps_of_the_same_job(line: str, expected: str) -> None:
    tail = """\
      - id: third
        action: echo:echo
  other:
    steps:
      - id: audit
        action: echo:echo
"""
    assert errors(line, tail=tail) == [expected]


def test_templates_that_render_are_not_errors() -> None:
    assert (
        errors(
            """\
            a: "{{ .input.user.email }} {{ steps.first.id | default('x') }}"
            b: "{{ steps['first'] | tojson }} {{ .user }}"
            c: "{% if .a is defined %}{{ .a | upper }}{% endif %}"
            d: "{{ input.steps.later }} {{ {'k': 1} }} $HOME $$ {# note #}"
            e: "{% raw %}{{ .not. a template }}{% endraw %}"
            """
        )
        == []
    )


def test_every_problem_of_a_string_and_of_a_block_scalar_is_located() -> None:
    assert errors(
        """\
        body: |
          Hello,
            {{ steps.first.name | shout }} and {{ .x is nope }}
        list:
          - "{{ steps.third }}"
        """,
        tail="      - id: third\n        action: echo:echo\n",
    ) == [
        "wf.yaml:13:37: jobs.main.steps[1].with.body: unknown filter 'shout'",
        "wf.yaml:13:59: jobs.main.steps[1].with.body: unknown test 'nope' (did you mean 'none'?)",
        "wf.yaml:15:19: jobs.main.steps[1].with.list[0]: steps.third: step 'third' runs after "
        "this one; a step reads only earlier steps",
    ]


def test_escapes_in_a_double_quoted_string_keep_the_column() -> None:
    assert errors('m: "\\"q\\" \\u00e9 {{ .a | nop }}"') == [
        "wf.yaml:11:36: jobs.main.steps[1].with.m: unknown filter 'nop'"
    ]


def test_folded_plain_and_single_quoted_strings_keep_the_column() -> None:
    assert errors(
        """\
        folded: >
          Hello there
          {{ .x | nop1 }}
        plain: first line
          {{ .x | nop2 }}
        sq: 'it''s {{ .x | nop3 }}'
        """
    ) == [
        "wf.yaml:13:21: jobs.main.steps[1].with.folded: unknown filter 'nop1'",
        "wf.yaml:15:21: jobs.main.steps[1].with.plain: unknown filter 'nop2'",
        "wf.yaml:16:30: jobs.main.steps[1].with.sq: unknown filter 'nop3'",
    ]


def test_template_problems_gives_offsets_in_the_string() -> None:
    assert template_problems("a {{ .b | nop }}") == [(10, "unknown filter 'nop'")]
    assert template_problems("{% if %}") == [
        (6, "expected an expression, got 'end of statement block'")
    ]
    assert template_problems("plain text") == []


def test_names_are_not_checked_they_may_be_payload_keys() -> None:
    assert template_problems("{{ .anything.at.all }} {{ nope | upper }} $UNSET_IS_FINE") == []


def test_a_cron_that_never_fires_is_an_error() -> None:
    text = "name: c\non: {cron: '0 0 30 2 *'}\njobs: {j: {steps: [{id: a, action: a:b}]}}\n"
    assert [str(e) for e in parse_text(text, "c.yaml").errors] == [
        "c.yaml:2:12: on.cron: invalid cron '0 0 30 2 *': never fires (no month has that "
        "day, like 30 February)"
    ]
    leap_day = text.replace("30 2 *", "29 2 *")
    assert parse_text(leap_day, "c.yaml").ok
