"""The compatibility corpus (tests/fixtures/compat, see its README) loads as its authors meant."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from hatchetd.contracts.parse import ParsedFile, discover, load_files, parse_file, parse_text
from hatchetd.contracts.spec import WorkflowSpec

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/fixtures/compat"
SHARED = ROOT.parent / "shared/compat"


def load(name: str) -> WorkflowSpec:
    result = parse_file(CORPUS / name, name)
    assert result.errors == (), [str(e) for e in result.errors]
    assert result.spec is not None
    return result.spec


# What the README's table says each file must do: (file, events, crons, steps per job).
EXPECTED = [
    ("upstream/simple--sample-workflow.yaml", ["user:create"], [], {"print-user": 3}),
    ("upstream/yaml--sample-workflow.yaml", ["user:create"], [], {"print-user": 4}),
    ("upstream/slack--slack-channel.yaml", ["team:create"], [], {"create-slack-channel": 3}),
    ("upstream/cron--cron-workflow.yaml", [], ["* * * * *"], {"print-user": 1}),
    ("upstream/requeue--job-requeue-workflow.yaml", ["example:event"], [], {"requeue-job": 1}),
    (
        "upstream/schedule-timeout--schedule-timeout-workflow.yaml",
        ["user:create"],
        [],
        {"timeout-job": 1},
    ),
    ("upstream/timeout--job-timeout-workflow.yaml", ["user:create"], [], {"timeout-job": 1}),
    ("upstream/timeout--step-timeout-workflow.yaml", ["user:create"], [], {"timeout-job": 2}),
    (
        "seed/post-user-sign-up.yaml",
        ["user:create"],
        [],
        {"create-resources": 1, "greet-user": 1, "add-to-newsletter": 1},
    ),
    ("seed/on-events.yaml", ["eventkey1", "eventkey2"], [], {"my-awesome-job": 1}),
    ("seed/on-cron.yaml", [], ["*/15 * * * *"], {"my-awesome-job": 1}),
]


def test_the_table_covers_every_file_in_the_corpus() -> None:
    on_disk = {p.relative_to(CORPUS).as_posix() for p in discover([CORPUS])}
    assert on_disk == {name for name, *_ in EXPECTED}


@pytest.mark.parametrize(
    ("name", "events", "crons", "steps"), EXPECTED, ids=[name for name, *_ in EXPECTED]
)
def test_each_file_loads_with_its_triggers_and_steps(
    name: str, events: list[str], crons: list[str], steps: dict[str, int]
) -> None:
    spec = load(name)
    assert spec.triggers.events == events
    assert spec.triggers.crons == crons
    assert {job: len(spec_job.steps) for job, spec_job in spec.jobs.items()} == steps


def test_the_simple_sample_chains_three_echo_steps() -> None:
    steps = load("upstream/simple--sample-workflow.yaml").jobs["print-user"].steps
    assert [(s.id, s.action) for s in steps] == [
        ("echo1", "echo:echo"),
        ("echo2", "echo:echo"),
        ("echo3", "echo:echo"),
    ]
    assert steps[0].with_ == {"message": "Username is {{ .input.username }}"}
    assert steps[1].with_ == {"message": "Above message is: {{ .steps.echo1.message }}"}
    assert steps[2].with_ == {"message": "Above message is: {{ .steps.echo2.message }}"}


def test_the_yaml_sample_feeds_an_object_to_a_fourth_step() -> None:
    step = load("upstream/yaml--sample-workflow.yaml").jobs["print-user"].steps[3]
    assert (step.id, step.action) == ("testObject", "echo:object")
    assert step.with_ == {"object": "{{ .steps.echo3.json }}"}


def test_the_slack_example_keeps_its_version_and_its_environment_variable() -> None:
    spec = load("upstream/slack--slack-channel.yaml")
    assert spec.version == "0.1.0"
    steps = spec.jobs["create-slack-channel"].steps
    assert [s.name for s in steps] == [
        "Create onboarding channel",
        "Add user to channel",
        "Send message to channel",
    ]
    assert steps[1].with_ == {
        "channelId": "{{ .steps.createChannel.channelId }}",
        "userIds": ["$SLACK_USER_ID"],
    }


def test_the_schedule_timeout_example_gets_the_default_timeouts() -> None:
    step = (
        load("upstream/schedule-timeout--schedule-timeout-workflow.yaml")
        .jobs["timeout-job"]
        .steps[0]
    )
    assert (step.timeout, step.schedule_timeout, step.retries) == (60.0, 300.0, 0)


def test_the_job_timeout_is_shorter_than_its_step_timeout() -> None:
    job = load("upstream/timeout--job-timeout-workflow.yaml").jobs["timeout-job"]
    assert (job.timeout, job.steps[0].timeout) == (3.0, 10.0)


def test_the_step_timeout_example() -> None:
    steps = load("upstream/timeout--step-timeout-workflow.yaml").jobs["timeout-job"].steps
    assert [(s.id, s.timeout) for s in steps] == [("timeout", 5.0), ("later-step", 5.0)]


def test_the_sign_up_seed_templates_the_payload_at_the_top_level() -> None:
    spec = load("seed/post-user-sign-up.yaml")
    assert spec.version == "v0.2.0"
    assert spec.jobs["greet-user"].steps[0].with_ == {
        "firstName": "{{ .user.firstName }}",
        "email": "{{ .user.email }}",
    }


@pytest.mark.parametrize(
    ("name", "on_form", "triggers_form"),
    [
        (
            "seed/on-events.yaml",
            "on:\n  - eventkey1\n  - eventkey2\n",
            "triggers:\n  events: [eventkey1, eventkey2]\n",
        ),
        (
            "seed/on-cron.yaml",
            'on:\n  cron:\n    schedule: "*/15 * * * *"\n',
            'triggers:\n  crons: ["*/15 * * * *"]\n',
        ),
    ],
)
def test_the_on_forms_have_the_checksum_of_their_triggers_form(
    name: str, on_form: str, triggers_form: str
) -> None:
    text = (CORPUS / name).read_text()
    assert on_form in text
    rewritten = parse_text(text.replace(on_form, triggers_form), name)
    assert rewritten.errors == ()
    assert rewritten.checksum == load(name).checksum()


def test_loading_the_whole_corpus_reports_the_name_clash_on_all_three_files() -> None:
    results = load_files(discover([CORPUS]), root=CORPUS)
    broken: dict[str, ParsedFile] = {r.file: r for r in results if not r.ok}
    assert [str(e) for r in broken.values() for e in r.errors] == [
        "seed/post-user-sign-up.yaml:1:7: name: workflow name 'post-user-sign-up' is also "
        "defined in upstream/simple--sample-workflow.yaml, upstream/yaml--sample-workflow.yaml",
        "upstream/simple--sample-workflow.yaml:1:7: name: workflow name 'post-user-sign-up' is "
        "also defined in seed/post-user-sign-up.yaml, upstream/yaml--sample-workflow.yaml",
        "upstream/yaml--sample-workflow.yaml:1:7: name: workflow name 'post-user-sign-up' is "
        "also defined in seed/post-user-sign-up.yaml, upstream/simple--sample-workflow.yaml",
    ]
    assert sum(1 for r in results if r.ok) == len(EXPECTED) - 3


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is not there to compare with")
def test_the_fixture_copy_matches_the_shared_corpus_byte_for_byte() -> None:
    def files(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}

    assert files(CORPUS) == files(SHARED)
    names = sorted(files(CORPUS))
    _, mismatch, errors = filecmp.cmpfiles(CORPUS, SHARED, names, shallow=False)
    assert (mismatch, errors) == ([], [])
