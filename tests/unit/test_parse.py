"""YAML text → spec, and the errors an author sees: exact messages at exact line:column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hatchetd.contracts.parse import (
    ParsedFile,
    WorkflowError,
    check_name_clashes,
    discover,
    format_path,
    load_files,
    parse_file,
    parse_text,
)


def parse(text: str) -> ParsedFile:
    return parse_text(textwrap.dedent(text).lstrip("\n"), "wf.yaml")


def errors(text: str) -> list[str]:
    result = parse(text)
    assert result.spec is None
    assert result.checksum is None
    return [str(error) for error in result.errors]


VALID = """
    name: greet
    version: v1
    triggers:
      events: [user:create]
    jobs:
      greet-user:
        steps:
          - id: hello
            action: echo:echo
    """


# -- a valid file ------------------------------------------------------------------------------


def test_a_valid_file_gives_a_spec_and_its_checksum() -> None:
    result = parse(VALID)
    assert result.errors == ()
    assert result.ok
    assert result.spec is not None
    assert result.spec.name == "greet"
    assert result.checksum == result.spec.checksum()
    assert (result.name, result.name_position) == ("greet", (1, 7))


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("1.10", "1.10"),
        ("0.1.0", "0.1.0"),
        ("v0.2.0", "v0.2.0"),
        ('"1.10"', "1.10"),
        ("1", "1"),
        ("1e3", "1e3"),
        ("2024-01-01", "2024-01-01"),
        ("~", None),
    ],
)
def test_the_version_is_kept_as_written(written: str, kept: str | None) -> None:
    result = parse(VALID.replace("version: v1", f"version: {written}"))
    assert result.spec is not None
    assert result.spec.version == kept


def test_an_absent_version_is_none() -> None:
    result = parse(VALID.replace("    version: v1\n", ""))
    assert result.spec is not None
    assert result.spec.version is None


def test_defaults_are_applied() -> None:
    result = parse(VALID)
    assert result.spec is not None
    step = result.spec.jobs["greet-user"].steps[0]
    assert (step.timeout, step.schedule_timeout, step.retries, step.with_) == (60.0, 300.0, 0, {})


def test_keys_are_kept_as_written_in_with() -> None:
    result = parse(
        """
        name: x
        jobs:
          j:
            steps:
              - id: s
                action: a:b
                with:
                  on: yes
                  1: one
                  date: 2024-01-01
                  list: ["$SLACK_USER_ID", "{{ .input.name }}"]
        """
    )
    assert result.spec is not None
    assert result.spec.jobs["j"].steps[0].with_ == {
        "on": True,
        "1": "one",
        "date": "2024-01-01",
        "list": ["$SLACK_USER_ID", "{{ .input.name }}"],
    }


def test_anchors_and_merge_keys_work_with_x_keys() -> None:
    result = parse(
        """
        x-step: &step
          action: echo:echo
          timeout: 5s
        name: x
        jobs:
          j:
            steps:
              - <<: *step
                id: one
              - <<: *step
                id: two
                timeout: 7s
        """
    )
    assert result.spec is not None
    steps = result.spec.jobs["j"].steps
    assert [(s.id, s.action, s.timeout) for s in steps] == [
        ("one", "echo:echo", 5.0),
        ("two", "echo:echo", 7.0),
    ]


# -- the two trigger forms ---------------------------------------------------------------------


ON_LIST = """
    name: greet
    version: v1
    on:
      - user:create
    jobs:
      greet-user:
        steps:
          - action: echo:echo
            id: hello
    """

ON_TEXT = """
    name: greet
    on: user:create
    version: v1
    jobs:
      greet-user:
        steps:
          - id: hello
            action: echo:echo
            timeout: 1m
    """


def test_a_bare_on_key_is_the_trigger_form_not_true() -> None:
    result = parse(ON_LIST)
    assert result.spec is not None
    assert result.spec.triggers.events == ["user:create"]


def test_on_cron_schedule() -> None:
    result = parse(
        """
        name: x
        on:
          cron:
            schedule: "*/15 * * * *"
        jobs: {j: {steps: [{id: s, action: "a:b"}]}}
        """
    )
    assert result.spec is not None
    assert (result.spec.triggers.events, result.spec.triggers.crons) == ([], ["*/15 * * * *"])


def test_the_checksum_is_the_same_for_both_trigger_forms_and_any_key_order() -> None:
    checksums = {parse(text).checksum for text in (VALID, ON_LIST, ON_TEXT)}
    assert len(checksums) == 1
    assert None not in checksums


def test_the_checksum_changes_with_a_real_change() -> None:
    assert parse(VALID).checksum != parse(VALID.replace("echo:echo", "echo:shout")).checksum


def test_on_and_triggers_together_is_an_error_at_on() -> None:
    assert errors(
        """
        name: x
        triggers:
          events: [a]
        on: [b]
        jobs: {j: {steps: [{id: s, action: "a:b"}]}}
        """
    ) == ["wf.yaml:4:1: on: use either 'triggers' or 'on', not both"]


def test_errors_in_on_point_at_what_was_written() -> None:
    assert errors(
        """
        name: x
        on:
          - good
          - "bad key"
        jobs: {j: {steps: [{id: s, action: "a:b"}]}}
        """
    ) == ["wf.yaml:4:5: on[1]: invalid event key 'bad key': must not contain spaces"]
    assert errors(
        """
        name: x
        on: "user:cr*"
        jobs: {j: {steps: [{id: s, action: "a:b"}]}}
        """
    ) == ["wf.yaml:2:5: on: invalid event key 'user:cr*': '*' must be a whole segment, like user:*"]
    assert errors(
        """
        name: x
        on:
          cron:
            schedule: "* * *"
        jobs: {j: {steps: [{id: s, action: "a:b"}]}}
        """
    ) == [
        "wf.yaml:4:15: on.cron.schedule: invalid cron '* * *': expected 5 fields "
        "(minute hour day-of-month month day-of-week), got 3"
    ]


# -- YAML-level errors -------------------------------------------------------------------------


def test_bad_yaml_syntax_points_at_the_problem() -> None:
    assert errors(
        """
        name: x
        jobs:
          j:
            steps: [a, b
        """
    ) == [
        "wf.yaml:5:1: invalid YAML: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence at line 4)"
    ]
    assert errors("name: x: y\n") == [
        "wf.yaml:1:8: invalid YAML: mapping values are not allowed here"
    ]


def test_a_tab_in_the_indentation_gets_a_plain_message() -> None:
    assert errors("name: x\njobs:\n\tj: 1\n") == [
        "wf.yaml:3:1: invalid YAML: found a tab character: indent with spaces"
    ]


def test_a_second_document_is_refused() -> None:
    assert errors("name: x\n---\nname: y\n") == [
        "wf.yaml:2:1: invalid YAML: a workflow file holds one document, but another one starts here"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n", "---\n"])
def test_an_empty_file_is_an_error(text: str) -> None:
    assert [str(e) for e in parse_text(text, "wf.yaml").errors] == [
        "wf.yaml:1:1: empty file: a workflow needs at least name and jobs"
    ]


@pytest.mark.parametrize(
    ("text", "kind"), [("- a\n- b\n", "a list"), ("hello\n", "text"), ("42\n", "a number")]
)
def test_the_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    assert [str(e) for e in parse_text(text, "wf.yaml").errors] == [
        f"wf.yaml:1:1: expected a mapping with the workflow's name and jobs, got {kind}"
    ]


def test_python_tags_are_refused_and_never_constructed() -> None:
    assert errors(
        """
        name: x
        jobs:
          j:
            steps:
              - id: s
                action: !!python/object/apply:os.system ["echo pwned"]
        """
    ) == [
        "wf.yaml:6:17: jobs.j.steps[0].action: unsupported YAML tag "
        "'!!python/object/apply:os.system': only plain YAML is allowed"
    ]
    assert errors("!!python/object:os.system\nname: x\n") == [
        "wf.yaml:1:1: unsupported YAML tag '!!python/object:os.system': only plain YAML is allowed"
    ]


def test_custom_and_non_json_tags_are_refused() -> None:
    assert errors(
        """
        name: x
        jobs:
          j:
            steps:
              - id: s
                action: a:b
                with:
                  token: !env TOKEN
                  blob: !!binary aGVsbG8=
        """
    ) == [
        "wf.yaml:8:18: jobs.j.steps[0].with.token: unsupported YAML tag '!env': "
        "only plain YAML is allowed",
        "wf.yaml:9:17: jobs.j.steps[0].with.blob: unsupported YAML tag '!!binary': "
        "only plain YAML is allowed",
    ]


def test_a_duplicate_key_is_reported_not_silently_dropped() -> None:
    assert errors(
        """
        name: x
        jobs:
          j:
            steps:
              - id: s
                action: a:b
                timeout: 5s
                timeout: 10s
        """
    ) == ["wf.yaml:8:9: jobs.j.steps[0]: duplicate key 'timeout' (first at line 7)"]


def test_a_recursive_alias_is_refused() -> None:
    assert errors(
        """
        name: x
        jobs:
          j:
            steps:
              - id: s
                action: a:b
                with: &loop
                  again: *loop
        """
    ) == [
        # PyYAML gives an alias the position of the value it refers to.
        "wf.yaml:7:15: jobs.j.steps[0].with.again: "
        "a YAML alias may not refer to a value that holds it"
    ]


def test_an_alias_bomb_is_stopped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    assert [str(e) for e in parse_text("\n".join(lines) + "\n", "wf.yaml").errors] == [
        "wf.yaml:1:1: too large: more than 100000 values once aliases are expanded"
    ]


# -- model errors at their positions -----------------------------------------------------------


def test_unknown_keys_point_at_the_key_and_suggest_the_near_miss() -> None:
    assert errors(
        """
        name: x
        foo: 1
        jobs:
          j:
            steps:
              - id: s
                action: a:b
                timout: 5s
        """
    ) == [
        "wf.yaml:2:1: unknown key 'foo'",
        "wf.yaml:8:9: jobs.j.steps[0]: unknown key 'timout' (did you mean 'timeout'?)",
    ]


def test_missing_keys_point_at_the_mapping_that_lacks_them() -> None:
    assert errors(
        """
        version: v1
        jobs:
          j:
            steps:
              - id: s
              - action: a:b
        """
    ) == [
        "wf.yaml:1:1: missing required key 'name'",
        "wf.yaml:5:9: jobs.j.steps[0]: missing required key 'action'",
        "wf.yaml:6:9: jobs.j.steps[1]: missing required key 'id'",
    ]


def test_a_bad_value_points_at_the_value() -> None:
    assert errors(
        """
        name: x
        timezone: Europe/Pariss
        jobs:
          greet-user:
            timeout: soon
            steps:
              - id: s
                action: echo
                timeout: 5 minutes
                retries: -1
                schedule_timeout: [1]
        """
    ) == [
        "wf.yaml:2:11: timezone: unknown timezone 'Europe/Pariss': use an IANA name like "
        "Europe/Paris or UTC",
        "wf.yaml:5:14: jobs.greet-user.timeout: invalid duration 'soon': use Go style like "
        "300ms, 15s, 1m30s or a number of seconds",
        "wf.yaml:8:17: jobs.greet-user.steps[0].action: must look like integration:verb",
        "wf.yaml:9:18: jobs.greet-user.steps[0].timeout: invalid duration '5 minutes': use Go "
        "style like 300ms, 15s, 1m30s or a number of seconds",
        "wf.yaml:10:18: jobs.greet-user.steps[0].retries: must be 0 or more",
        "wf.yaml:11:27: jobs.greet-user.steps[0].schedule_timeout: expected a duration, got a "
        "list: use Go style like 300ms, 15s, 1m30s or a number of seconds",
    ]


def test_a_with_value_no_payload_could_hold_points_at_the_step() -> None:
    """A step's input is stored with each step run: the rules of every stored value apply."""
    assert errors(
        """
        name: x
        jobs:
          greet-user:
            steps:
              - id: s
                action: echo:echo
                with: {ratio: .nan, list: [1, -.inf]}
              - id: t
                action: echo:echo
                with:
                  name: "Ada\\0"
              - id: u
                action: echo:echo
                with: .inf
        """
    ) == [
        "wf.yaml:7:15: jobs.greet-user.steps[0].with: ratio: NaN is not a finite number",
        "wf.yaml:11:11: jobs.greet-user.steps[1].with: name: contains a NUL character (\\u0000)",
        "wf.yaml:14:15: jobs.greet-user.steps[2].with: Infinity is not a finite number",
    ]


def test_wrong_types_say_what_was_expected() -> None:
    assert errors(
        """
        name:
        description: [a]
        triggers:
          events: user:create
        jobs:
          j:
            steps:
              -
              - id: s
                action: a:b
                retries: many
        """
    ) == [
        "wf.yaml:1:6: name: expected text, got nothing",
        "wf.yaml:2:14: description: expected text, got a list",
        "wf.yaml:4:11: triggers.events: expected a list, got text",
        "wf.yaml:8:8: jobs.j.steps[0]: expected a mapping, got nothing",
        "wf.yaml:11:18: jobs.j.steps[1].retries: expected a whole number, got text",
    ]


def test_bad_cron_event_key_and_timezone() -> None:
    assert errors(
        """
        name: x
        timezone: Nowhere/Land
        triggers:
          events: ["user:*", "user:cr*"]
          crons: ["61 * * * *"]
        jobs: {j: {steps: [{id: s, action: "a:b"}]}}
        """
    ) == [
        "wf.yaml:2:11: timezone: unknown timezone 'Nowhere/Land': use an IANA name like "
        "Europe/Paris or UTC",
        "wf.yaml:4:22: triggers.events[1]: invalid event key 'user:cr*': '*' must be a whole "
        "segment, like user:*",
        "wf.yaml:5:11: triggers.crons[0]: invalid cron '61 * * * *': not a valid schedule "
        "(like */15 * * * *, see man 5 crontab)",
    ]


def test_duplicate_step_ids_are_reported_with_the_other_errors() -> None:
    assert errors(
        """
        name: x
        jobs:
          print-user:
            steps:
              - id: echo1
                action: echo:echo
              - id: echo1
                action: echo
              - id: echo1
                action: echo:echo
        """
    ) == [
        "wf.yaml:7:13: jobs.print-user.steps[1].id: duplicate step id 'echo1' (first at line 5)",
        "wf.yaml:8:17: jobs.print-user.steps[1].action: must look like integration:verb",
        "wf.yaml:9:13: jobs.print-user.steps[2].id: duplicate step id 'echo1' (first at line 5)",
    ]


def test_empty_jobs_and_steps() -> None:
    assert errors("name: x\njobs: {}\n") == ["wf.yaml:2:7: jobs: a workflow needs at least one job"]
    assert errors("name: x\njobs:\n  j:\n    steps: []\n") == [
        "wf.yaml:4:12: jobs.j.steps: a job needs at least one step"
    ]


def test_odd_job_names_are_quoted_in_paths() -> None:
    assert errors('name: x\njobs:\n  "my job":\n    steps: []\n') == [
        'wf.yaml:4:12: jobs."my job".steps: a job needs at least one step'
    ]


# -- the error type ----------------------------------------------------------------------------


def test_an_error_reads_file_line_column_path_message() -> None:
    error = WorkflowError(file="a.yaml", line=3, column=5, path="jobs.j", message="bad")
    assert str(error) == "a.yaml:3:5: jobs.j: bad"
    assert str(WorkflowError(file="a.yaml", line=1, column=1, message="bad")) == "a.yaml:1:1: bad"


def test_format_path() -> None:
    assert format_path(("jobs", "greet-user", "steps", 0, "action")) == (
        "jobs.greet-user.steps[0].action"
    )
    assert format_path(()) == ""
    assert format_path(("on", 1)) == "on[1]"


# -- files, discovery and name clashes ---------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def test_parse_file_names_errors_after_the_path(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "name: x\n")
    assert [str(e) for e in parse_file(path, "a.yaml").errors] == [
        "a.yaml:1:1: missing required key 'jobs'"
    ]
    assert parse_file(path).errors[0].file == str(path)


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")
    assert [str(e) for e in parse_file(path, "a.yaml").errors] == [
        "a.yaml:2:17: not UTF-8 text: byte 0xe9 cannot be decoded"
    ]


def test_discover_finds_yaml_files_sorted_and_skips_hidden_folders(tmp_path: Path) -> None:
    for name in [
        "b.yaml",
        "a.yml",
        "notes.txt",
        ".hidden.yaml",
        "sub/c.yaml",
        "sub/deeper/d.yaml",
        ".git/e.yaml",
        "sub/.cache/f.yaml",
    ]:
        write(tmp_path / name, "x: 1\n")
    found = discover([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.yml",
        "b.yaml",
        "sub/c.yaml",
        "sub/deeper/d.yaml",
    ]


def test_discover_takes_files_as_given_once_each(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", "x: 1\n")
    b = write(tmp_path / "b.txt", "x: 1\n")
    assert discover([b, tmp_path, a]) == [b, a]


def test_discover_refuses_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        discover([tmp_path / "nope"])
    assert caught.value.filename == str(tmp_path / "nope")


NAMED = """
    name: {name}
    jobs: {{j: {{steps: [{{id: s, action: "a:b"}}]}}}}
    """


def test_a_name_clash_is_an_error_on_each_file_at_its_name(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", NAMED.format(name="same"))
    write(tmp_path / "b.yaml", "# the same name" + textwrap.dedent(NAMED.format(name="same")))
    write(tmp_path / "c.yaml", NAMED.format(name="other"))
    write(tmp_path / "d/e.yaml", NAMED.format(name="same"))
    results = load_files(discover([tmp_path]), root=tmp_path)
    assert [(r.file, r.ok) for r in results] == [
        ("a.yaml", False),
        ("b.yaml", False),
        ("c.yaml", True),
        ("d/e.yaml", False),
    ]
    assert [str(e) for r in results for e in r.errors] == [
        "a.yaml:1:7: name: workflow name 'same' is also defined in b.yaml, d/e.yaml",
        "b.yaml:2:7: name: workflow name 'same' is also defined in a.yaml, d/e.yaml",
        "d/e.yaml:1:7: name: workflow name 'same' is also defined in a.yaml, b.yaml",
    ]
    assert all(r.checksum is None for r in results if not r.ok)


def test_a_broken_file_still_claims_its_name() -> None:
    good = parse_text(textwrap.dedent(NAMED.format(name="same")), "good.yaml")
    broken = parse_text("name: same\njobs: {}\n", "broken.yaml")
    assert [str(e) for r in check_name_clashes([good, broken]) for e in r.errors] == [
        "good.yaml:2:7: name: workflow name 'same' is also defined in broken.yaml",
        "broken.yaml:1:7: name: workflow name 'same' is also defined in good.yaml",
        "broken.yaml:2:7: jobs: a workflow needs at least one job",
    ]
