"""The workflow models on plain Python data: defaults, value rules, trigger forms, checksums.

Positions and the wording of YAML-level errors are in test_parse.py.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from hatchetd.contracts import spec as spec_module
from hatchetd.contracts.duration import format_duration, parse_duration
from hatchetd.contracts.spec import (
    JobSpec,
    OnCronSpec,
    OnSpec,
    StepSpec,
    TriggersSpec,
    WorkflowSpec,
)


def workflow(**changes: Any) -> dict[str, Any]:
    """A small valid workflow as plain data, with top-level keys replaced or added."""
    data: dict[str, Any] = {
        "name": "greet",
        "triggers": {"events": ["user:create"]},
        "jobs": {"greet-user": {"steps": [{"id": "hello", "action": "echo:echo"}]}},
    }
    data.update(changes)
    return data


def errors_of(data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        WorkflowSpec.model_validate(data)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


def step_errors(**step: Any) -> list[tuple[tuple[str | int, ...], str]]:
    return errors_of(workflow(jobs={"j": {"steps": [{"id": "s", "action": "a:b", **step}]}}))


# -- defaults ----------------------------------------------------------------------------------


def test_a_minimal_step_gets_the_documented_defaults() -> None:
    spec = WorkflowSpec.model_validate(workflow())
    step = spec.jobs["greet-user"].steps[0]
    assert (step.timeout, step.schedule_timeout, step.retries, step.with_) == (60.0, 300.0, 0, {})
    assert step.name is None
    assert spec.jobs["greet-user"].timeout is None
    assert (spec.version, spec.description, spec.timezone) == (None, None, None)


def test_the_dump_is_normalised_with_defaults_and_canonical_durations() -> None:
    spec = WorkflowSpec.model_validate(workflow(version="v1"))
    assert spec.definition() == {
        "name": "greet",
        "version": "v1",
        "description": None,
        "timezone": None,
        "triggers": {"events": ["user:create"], "crons": []},
        "jobs": {
            "greet-user": {
                "description": None,
                "timeout": None,
                "steps": [
                    {
                        "id": "hello",
                        "name": None,
                        "action": "echo:echo",
                        "timeout": "1m",
                        "schedule_timeout": "5m",
                        "retries": 0,
                        "with": {},
                    }
                ],
            }
        },
    }


def test_a_workflow_without_triggers_is_valid() -> None:
    data = workflow()
    del data["triggers"]
    assert WorkflowSpec.model_validate(data).triggers == TriggersSpec(events=[], crons=[])


def test_with_takes_any_yaml_value_and_keeps_strings_verbatim() -> None:
    value = {"userIds": ["$SLACK_USER_ID"], "n": 1.5, "flag": True, "none": None}
    spec = WorkflowSpec.model_validate(
        workflow(jobs={"j": {"steps": [{"id": "s", "action": "a:b", "with": value}]}})
    )
    assert spec.jobs["j"].steps[0].with_ == value
    assert spec.definition()["jobs"]["j"]["steps"][0]["with"] == value


# -- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "seconds", "canonical"),
    [
        ("300ms", 0.3, "300ms"),
        ("15s", 15.0, "15s"),
        ("1m30s", 90.0, "1m30s"),
        ("2h", 7200.0, "2h"),
        ("1h2m3.5s", 3723.5, "1h2m3.5s"),
        ("1h0m0s", 3600.0, "1h"),
        ("1.5ms", 0.0015, "1.5ms"),
        ("250us", 0.00025, "250us"),
        (90, 90.0, "1m30s"),
        (2.5, 2.5, "2.5s"),
        ("45", 45.0, "45s"),
    ],
)
def test_durations_read_go_style_or_seconds_and_dump_canonically(
    written: str | float, seconds: float, canonical: str
) -> None:
    assert parse_duration(written) == pytest.approx(seconds)
    assert format_duration(parse_duration(written)) == canonical


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "5 minutes",
            "invalid duration '5 minutes': use Go style like 300ms, 15s, 1m30s "
            "or a number of seconds",
        ),
        ("1d", "invalid duration '1d': use Go style like 300ms, 15s, 1m30s or a number of seconds"),
        (
            True,
            "invalid duration 'true': use Go style like 300ms, 15s, 1m30s or a number of seconds",
        ),
        (0, "invalid duration '0': must be more than zero"),
        (
            "-5s",
            "invalid duration '-5s': use Go style like 300ms, 15s, 1m30s or a number of seconds",
        ),
        (
            [1],
            "expected a duration, got a list: use Go style like 300ms, 15s, 1m30s "
            "or a number of seconds",
        ),
    ],
)
def test_a_bad_duration_says_how_to_write_one(written: object, message: str) -> None:
    assert step_errors(timeout=written) == [(("jobs", "j", "steps", 0, "timeout"), message)]


# -- steps -------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["echo", "echo:", ":echo", "a:b:c", "a b:c", ""])
def test_an_action_must_look_like_integration_verb(action: str) -> None:
    assert step_errors(action=action) == [
        (("jobs", "j", "steps", 0, "action"), "must look like integration:verb")
    ]


def test_retries_must_be_a_whole_number_of_zero_or_more() -> None:
    assert step_errors(retries=-1) == [
        (("jobs", "j", "steps", 0, "retries"), "Input should be greater than or equal to 0")
    ]
    assert step_errors(retries=True) == [
        (("jobs", "j", "steps", 0, "retries"), "Input should be a valid integer")
    ]


def test_a_step_id_is_a_template_name() -> None:
    assert step_errors(id="greet user") == [
        (("jobs", "j", "steps", 0, "id"), "must contain only letters, digits, '-' and '_'")
    ]


def test_step_ids_are_unique_within_a_job() -> None:
    steps = [
        {"id": "a", "action": "x:y"},
        {"id": "b", "action": "x:y"},
        {"id": "a", "action": "x:y"},
    ]
    assert errors_of(workflow(jobs={"j": {"steps": steps}})) == [
        (("jobs", "j", "steps", 2, "id"), "duplicate step id 'a' (first at steps[0])")
    ]


def test_the_same_step_id_in_two_jobs_is_fine() -> None:
    step = {"id": "a", "action": "x:y"}
    spec = WorkflowSpec.model_validate(
        workflow(jobs={"one": {"steps": [step]}, "two": {"steps": [step]}})
    )
    assert list(spec.jobs) == ["one", "two"]


def test_a_workflow_needs_a_job_and_a_job_needs_a_step() -> None:
    assert errors_of(workflow(jobs={})) == [(("jobs",), "a workflow needs at least one job")]
    assert errors_of(workflow(jobs={"j": {"steps": []}})) == [
        (("jobs", "j", "steps"), "a job needs at least one step")
    ]


def test_unknown_keys_are_refused_everywhere() -> None:
    assert errors_of(workflow(foo=1)) == [(("foo",), "Extra inputs are not permitted")]
    assert step_errors(timout="5s") == [
        (("jobs", "j", "steps", 0, "timout"), "Extra inputs are not permitted")
    ]


def test_top_level_x_keys_are_ignored_as_a_place_for_anchors() -> None:
    spec = WorkflowSpec.model_validate(workflow(**{"x-defaults": {"timeout": "5s"}}))
    assert "x-defaults" not in spec.definition()


def test_the_name_must_be_real_text() -> None:
    assert errors_of(workflow(name="  ")) == [(("name",), "must not be empty")]
    assert errors_of(workflow(name="a\nb")) == [
        (("name",), "must not contain control characters such as line breaks")
    ]


def test_a_version_is_text_never_a_number() -> None:
    assert errors_of(workflow(version=1.1)) == [(("version",), "Input should be a valid string")]


# -- triggers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["user:create", "user:*", "*", "eventkey1", "a:*:c", "team:create"])
def test_event_keys_may_use_star_as_a_whole_segment(key: str) -> None:
    assert WorkflowSpec.model_validate(workflow(triggers={"events": [key]})).triggers.events == [
        key
    ]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("user:cr*", "invalid event key 'user:cr*': '*' must be a whole segment, like user:*"),
        ("user:**", "invalid event key 'user:**': '*' must be a whole segment, like user:*"),
        ("user::create", "invalid event key 'user::create': empty segment between ':' separators"),
        ("user:", "invalid event key 'user:': empty segment between ':' separators"),
        ("user create", "invalid event key 'user create': must not contain spaces"),
        ("", "invalid event key '': must not be empty"),
    ],
)
def test_a_bad_event_key_is_refused(key: str, message: str) -> None:
    assert errors_of(workflow(triggers={"events": [key]})) == [(("triggers", "events", 0), message)]


@pytest.mark.parametrize("cron", ["* * * * *", "*/15 * * * *", "0 9 * * 1-5", "@hourly"])
def test_valid_crons(cron: str) -> None:
    spec = WorkflowSpec.model_validate(workflow(triggers={"crons": [cron]}))
    assert spec.triggers.crons == [cron]


def test_cron_spacing_is_normalised() -> None:
    spec = WorkflowSpec.model_validate(workflow(triggers={"crons": ["*/5  *  * * *"]}))
    assert spec.triggers.crons == ["*/5 * * * *"]


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        (
            "* * *",
            "invalid cron '* * *': expected 5 fields (minute hour day-of-month month "
            "day-of-week), got 3",
        ),
        (
            "* * * * * *",
            "invalid cron '* * * * * *': expected 5 fields (minute hour day-of-month month "
            "day-of-week), got 6",
        ),
        (
            "61 * * * *",
            "invalid cron '61 * * * *': not a valid schedule "
            "(like */15 * * * *, see man 5 crontab)",
        ),
    ],
)
def test_a_bad_cron_is_refused(cron: str, message: str) -> None:
    assert errors_of(workflow(triggers={"crons": [cron]})) == [(("triggers", "crons", 0), message)]


def test_timezones_are_iana_names() -> None:
    assert WorkflowSpec.model_validate(workflow(timezone="Europe/Paris")).timezone == "Europe/Paris"
    assert errors_of(workflow(timezone="Mars/Olympus_Mons")) == [
        (
            ("timezone",),
            "unknown timezone 'Mars/Olympus_Mons': use an IANA name like Europe/Paris or UTC",
        )
    ]


def without_triggers(**changes: Any) -> dict[str, Any]:
    data = workflow(**changes)
    del data["triggers"]
    return data


@pytest.mark.parametrize(
    ("on", "events", "crons"),
    [
        (["eventkey1", "eventkey2"], ["eventkey1", "eventkey2"], []),
        ("user:create", ["user:create"], []),
        ({"events": ["a", "b"]}, ["a", "b"], []),
        ({"event": "a"}, ["a"], []),
        ({"cron": {"schedule": "*/15 * * * *"}}, [], ["*/15 * * * *"]),
        ({"cron": "*/15 * * * *"}, [], ["*/15 * * * *"]),
        ({"crons": ["0 * * * *", "30 * * * *"]}, [], ["0 * * * *", "30 * * * *"]),
        (
            {"events": ["a"], "event": "b", "cron": "1 * * * *", "crons": ["2 * * * *"]},
            ["a", "b"],
            ["1 * * * *", "2 * * * *"],
        ),
    ],
)
def test_every_on_form_folds_into_triggers(on: Any, events: list[str], crons: list[str]) -> None:
    spec = WorkflowSpec.model_validate(without_triggers(on=on))
    assert spec.triggers == TriggersSpec(events=events, crons=crons)
    assert spec.on is None
    assert "on" not in spec.definition()


def test_on_read_by_plain_pyyaml_as_true_still_works() -> None:
    data = yaml.safe_load("name: x\non: [a]\njobs: {j: {steps: [{id: s, action: 'a:b'}]}}\n")
    assert True in data
    assert WorkflowSpec.model_validate(data).triggers.events == ["a"]


def test_on_and_triggers_together_are_refused() -> None:
    assert errors_of(workflow(on=["a"])) == [(("on",), "use either 'triggers' or 'on', not both")]


def test_errors_inside_on_are_located_in_on() -> None:
    assert errors_of(without_triggers(on={"cron": "* *", "event": "a b"})) == [
        (("on", "event"), "invalid event key 'a b': must not contain spaces"),
        (
            ("on", "cron", "schedule"),
            "invalid cron '* *': expected 5 fields (minute hour day-of-month month "
            "day-of-week), got 2",
        ),
    ]


# -- checksum ----------------------------------------------------------------------------------


def test_the_checksum_is_the_sha256_of_the_canonical_json() -> None:
    spec = WorkflowSpec.model_validate(workflow())
    checksum = spec.checksum()
    assert len(checksum) == 64
    assert int(checksum, 16) >= 0
    assert spec.canonical_json().startswith('{"description":null,"jobs":{"greet-user":')
    assert " " not in spec.canonical_json().replace("user:create", "")


def test_the_checksum_does_not_depend_on_the_trigger_form() -> None:
    with_triggers = WorkflowSpec.model_validate(workflow())
    with_on_list = WorkflowSpec.model_validate(without_triggers(on=["user:create"]))
    with_on_text = WorkflowSpec.model_validate(without_triggers(on="user:create"))
    with_on_map = WorkflowSpec.model_validate(without_triggers(on={"event": "user:create"}))
    assert (
        with_triggers.checksum()
        == with_on_list.checksum()
        == with_on_text.checksum()
        == with_on_map.checksum()
    )


def test_the_checksum_does_not_depend_on_key_order_or_spelled_out_defaults() -> None:
    data = workflow()
    reordered = dict(reversed(list(copy.deepcopy(data).items())))
    spelled = copy.deepcopy(data)
    spelled["jobs"]["greet-user"]["steps"][0].update(
        {"timeout": "1m0s", "schedule_timeout": 300, "retries": 0, "with": {}}
    )
    checksums = {
        WorkflowSpec.model_validate(variant).checksum() for variant in (data, reordered, spelled)
    }
    assert len(checksums) == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(version="v2"),
        lambda d: d.update(description="now with docs"),
        lambda d: d["jobs"]["greet-user"]["steps"][0].update(timeout="61s"),
        lambda d: d["jobs"]["greet-user"]["steps"][0].update(action="echo:other"),
        lambda d: d["jobs"]["greet-user"]["steps"][0].update({"with": {"a": 1}}),
        lambda d: d["triggers"]["events"].append("user:delete"),
    ],
)
def test_any_real_change_changes_the_checksum(change: Any) -> None:
    before = workflow()
    after = copy.deepcopy(before)
    change(after)
    assert (
        WorkflowSpec.model_validate(before).checksum()
        != WorkflowSpec.model_validate(after).checksum()
    )


def test_a_definition_validates_back_to_the_same_spec() -> None:
    spec = WorkflowSpec.model_validate(workflow(version="1.10", timezone="UTC"))
    again = WorkflowSpec.model_validate(spec.definition())
    assert again == spec
    assert again.checksum() == spec.checksum()


# -- documentation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", [WorkflowSpec, TriggersSpec, OnSpec, OnCronSpec, JobSpec, StepSpec]
)
def test_every_field_has_a_docstring(model: type[BaseModel]) -> None:
    assert model.__doc__
    undocumented = [name for name, info in model.model_fields.items() if not info.description]
    assert undocumented == []


def test_the_models_are_exported() -> None:
    assert set(spec_module.__all__) >= {"WorkflowSpec", "JobSpec", "StepSpec", "TriggersSpec"}
