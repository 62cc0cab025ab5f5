"""Every error is one `error: ...` line in the project's words with docs/cli.md's exit code, and
the global options work after the command as before it (issue 13)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hatchet_cli.cli.app import app
from hatchet_cli.cli.output import ExitCode
from tests.cli.conftest import Hatchet


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def one_error_line(result: Result) -> str:
    """The one line of stderr, which must be an error."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert result.stdout == ""
    return lines[0]


def test_a_key_with_a_space_is_refused_in_words(hatchet: Hatchet) -> None:
    result = hatchet("events", "push", "order paid", "--data", "{}")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert one_error_line(result) == "error: key: must not contain spaces (nor other whitespace)"


def test_an_unknown_status_is_a_usage_error_naming_the_choices(hatchet: Hatchet) -> None:
    result = hatchet("runs", "list", "--status", "payed")
    assert result.exit_code == ExitCode.USAGE
    assert one_error_line(result) == (
        "error: --status: 'payed' is not one of 'pending', 'running', 'succeeded', 'failed', "
        "'cancelled' (see hatchet runs list --help)"
    )


def test_a_status_in_any_case_is_accepted(hatchet: Hatchet) -> None:
    result = hatchet("runs", "list", "--status", "failed", "-s", "SUCCEEDED")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "no runs\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["events", "push"], "error: Missing argument 'KEY' (see hatchet events push --help)"),
        (
            ["events", "list", "--bogus"],
            "error: No such option: --bogus (see hatchet events list --help)",
        ),
        (["events", "nope"], "error: No such command 'nope' (see hatchet events --help)"),
        (["events", "list", "--since"], "error: --since needs a value"),
        (
            ["runs", "list", "-n", "0"],
            "error: --limit: must be at least 1 (see hatchet runs list --help)",
        ),
        (
            ["runs", "list", "-n", "x"],
            "error: --limit: must be a whole number (see hatchet runs list --help)",
        ),
    ],
)
def test_a_wrong_command_line_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == ExitCode.USAGE
    assert one_error_line(result) == message


class _AlwaysAPage(BaseHTTPRequestHandler):
    """A web app that answers every path 200 with its HTML page."""

    def do_GET(self) -> None:
        body = b"<!DOCTYPE html><html><body>my app</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=["404 page", "200 page"])
def web_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Another web server where hatchetd was expected; yields its address and what it answers."""
    if request.param == "404 page":

        class Files(SimpleHTTPRequestHandler):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, directory=str(tmp_path), **kwargs)  # type: ignore[arg-type]

            def log_message(self, *args: object) -> None:
                pass

        handler: type[BaseHTTPRequestHandler] = Files
        got = "an HTML page, HTTP 404 File not found"
    else:
        handler, got = _AlwaysAPage, "an HTML page, HTTP 200"
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", got
    finally:
        server.shutdown()
        server.server_close()


def test_another_web_server_is_named_not_dumped(web_server: tuple[str, str]) -> None:
    address, got = web_server
    result = run("status", "--address", address)
    assert result.exit_code == ExitCode.UNREACHABLE
    assert one_error_line(result) == f"error: {address}: not a hatchetd (got {got})"


def test_address_after_the_command_wins_over_before_and_the_environment(
    hatchet: Hatchet, closed_address: str
) -> None:
    env = {"HATCHET_ADDRESS": closed_address}
    after = run(
        "--address", closed_address, "events", "list", "--address", hatchet.address, env=env
    )
    assert after.exit_code == 0, after.stderr
    assert after.stderr == "no events\n"
    from_env = run("events", "list", env=env)
    assert from_env.exit_code == ExitCode.UNREACHABLE
    assert closed_address in one_error_line(from_env)


def test_token_and_output_before_or_after_the_command(hatchet: Hatchet) -> None:
    pushed = run(
        "-o", "id", "events", "push", "user:create", "--token", "t", "--address", hatchet.address
    )
    assert pushed.exit_code == 0, pushed.stderr
    event_id = pushed.stdout.strip()
    listed = run("--token", "t", "-o", "id", "events", "list", "--address", hatchet.address)
    assert listed.stdout.split() == [event_id]
    # The command's own -o wins over the root's.
    shown = run("-o", "id", "events", "show", event_id, "-o", "json", "--address", hatchet.address)
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.startswith("{")


def test_both_clients_say_what_answered_is_not_hatchetd(web_server: tuple[str, str]) -> None:
    import asyncio

    from hatchet_cli import AsyncClient, Client, HatchetError

    address, got = web_server
    with Client(address) as client, pytest.raises(HatchetError) as blocking:
        client.status()

    async def status() -> None:
        async with AsyncClient(address) as client:
            await client.status()

    with pytest.raises(HatchetError) as asynchronous:
        asyncio.run(status())
    for caught in (blocking.value, asynchronous.value):
        assert caught.code == "not_hatchetd"
        assert caught.message == f"{address}: not a hatchetd (got {got})"


def test_token_after_the_command_reaches_a_daemon_that_asks_for_one(tmp_path: Path) -> None:
    from tests.live import serve_daemon

    with serve_daemon(tmp_path, token="s3cret") as address:
        refused = run("events", "list", "--address", address, "--token", "wrong")
        from_env = run("events", "list", "--address", address, env={"HATCHET_TOKEN": "s3cret"})
        after = run("events", "list", "--address", address, "--token", "s3cret")
        overridden = run(
            "--token", "wrong", "events", "list", "--token", "s3cret", "--address", address
        )
    assert refused.exit_code == ExitCode.AUTH
    assert one_error_line(refused).endswith("(give the daemon's token: --token or HATCHET_TOKEN)")
    for result in (from_env, after, overridden):
        assert result.exit_code == 0, result.stderr
        assert result.stderr == "no events\n"
