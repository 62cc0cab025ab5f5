"""The SDK's public surface: exactly these names, re-exported from `hatchet_cli`, and importing
`hatchet_cli` stays light (design §2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import hatchet_cli
import hatchet_cli.sdk

ROOT = Path(__file__).resolve().parents[2]


def loaded_modules(statement: str) -> tuple[int, set[str]]:
    """Run `statement` in a fresh interpreter; its exit code and the top-level modules loaded."""
    probe = f"{statement}\nimport sys\nprint('@@' + ' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False
    )
    modules = done.stdout.rsplit("@@", 1)[-1].split()
    return done.returncode, {name.split(".")[0] for name in modules}


def test_the_sdk_exports_exactly_these_names() -> None:
    assert hatchet_cli.sdk.__all__ == [
        "CancelFlag",
        "Context",
        "TriggerEvent",
        "Worker",
        "WorkerRejected",
    ]


def test_hatchet_cli_exports_exactly_these_names() -> None:
    assert hatchet_cli.__all__ == [
        "AsyncClient",
        "CancelFlag",
        "ChangesLost",
        "Client",
        "Context",
        "DaemonNotAnswering",
        "DaemonUnreachable",
        "HatchetError",
        "PushResult",
        "RunWaitTimeout",
        "TriggerEvent",
        "Worker",
        "WorkerRejected",
        "__version__",
    ]


def test_every_export_resolves_to_the_object_in_its_module() -> None:
    from hatchet_cli import async_client, client, sdk

    assert hatchet_cli.Worker is sdk.Worker
    assert hatchet_cli.Context is sdk.Context
    assert hatchet_cli.CancelFlag is sdk.CancelFlag
    assert hatchet_cli.TriggerEvent is sdk.TriggerEvent
    assert hatchet_cli.WorkerRejected is sdk.WorkerRejected
    assert hatchet_cli.Client is client.Client
    assert hatchet_cli.AsyncClient is async_client.AsyncClient
    assert hatchet_cli.HatchetError is client.HatchetError
    assert hatchet_cli.DaemonUnreachable is client.DaemonUnreachable
    assert hatchet_cli.DaemonNotAnswering is client.DaemonNotAnswering
    assert hatchet_cli.ChangesLost is client.ChangesLost
    assert hatchet_cli.RunWaitTimeout is client.RunWaitTimeout
    assert hatchet_cli.PushResult is client.PushResult
    for name in hatchet_cli.__all__:
        assert getattr(hatchet_cli, name) is not None
        assert name in dir(hatchet_cli)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"^module 'hatchet_cli' has no attribute 'Nothing'$"):
        hatchet_cli.Nothing  # noqa: B018


def test_importing_hatchet_cli_loads_neither_httpx_nor_websockets() -> None:
    code, modules = loaded_modules("import hatchet_cli")
    assert code == 0
    assert modules.isdisjoint({"httpx", "websockets", "hatchetd"}), sorted(modules)


def test_the_sdk_loads_no_terminal_or_http_client_libraries() -> None:
    code, modules = loaded_modules("from hatchet_cli import Worker, Context")
    assert code == 0
    assert "websockets" in modules  # the import really happened
    heavy = {"typer", "rich", "textual", "httpx", "click", "jinja2", "sqlalchemy", "croniter"}
    assert modules.isdisjoint(heavy), sorted(modules & heavy)


def test_the_client_loads_only_the_standard_librarys_http_client() -> None:
    code, modules = loaded_modules("from hatchet_cli import Client")
    assert code == 0
    assert "http" in modules  # the import really happened
    heavy = {"httpx", "pydantic", "hatchetd", "websockets", "typer", "rich", "click", "textual"}
    assert modules.isdisjoint(heavy), sorted(modules & heavy)


def test_the_async_client_loads_httpx_and_no_terminal_library() -> None:
    code, modules = loaded_modules("from hatchet_cli import AsyncClient")
    assert code == 0
    assert {"httpx", "httpx_sse"} <= modules  # the import really happened
    # (httpx itself imports click and rich, for its command line: its cost, paid only here.)
    heavy = {"websockets", "typer", "textual", "fastapi", "sqlalchemy", "hatchetd"}
    assert modules.isdisjoint(heavy), sorted(modules & heavy)
