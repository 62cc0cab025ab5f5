"""Opening a store: supported URLs, actionable errors, and SQLite set up for durability."""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from hatchetd.contracts.runs import NewRun
from hatchetd.store import Store, StoreUnavailable, UnsupportedDatabase, open_store
from hatchetd.store.sql_connect import make_engine, parse_url


@pytest.mark.parametrize(
    "url",
    [
        "mysql://hatchet:s3cret@localhost/hatchet",
        "postgresql+psycopg2://hatchet:s3cret@localhost/hatchet",
        "sqlite+aiosqlite:///x.db",
        "not a url",
        "",
    ],
)
def test_an_unsupported_url_says_what_is_supported(url: str) -> None:
    with pytest.raises(UnsupportedDatabase) as raised:
        open_store(url)

    message = str(raised.value)
    assert "sqlite:///path/to/file.db" in message
    assert "postgresql://" in message
    assert "s3cret" not in message


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused(url: str) -> None:
    with pytest.raises(UnsupportedDatabase, match="in-memory"):
        open_store(url)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_an_unreachable_postgresql_names_the_url_without_its_password(scheme: str) -> None:
    port = closed_port()

    with pytest.raises(StoreUnavailable) as raised:
        open_store(f"{scheme}://hatchet:s3cret@127.0.0.1:{port}/hatchet")

    message = str(raised.value)
    assert f"{scheme}://hatchet:***@127.0.0.1:{port}/hatchet" in message
    assert "s3cret" not in message
    assert "\n" not in message
    assert "refused" in message.lower()


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("HATCHET_TEST_DATABASE_URL"),
    reason="HATCHET_TEST_DATABASE_URL is not set: PostgreSQL store tests skipped",
)
def test_a_missing_postgresql_database_is_unavailable() -> None:
    from sqlalchemy import make_url

    url = make_url(os.environ["HATCHET_TEST_DATABASE_URL"]).set(database="hatchet_no_such_db")

    with pytest.raises(StoreUnavailable, match="hatchet_no_such_db"):
        open_store(url.render_as_string(hide_password=False))


def test_a_sqlite_path_that_is_a_folder_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match=f"cannot open the database sqlite.*{tmp_path.name}"):
        open_store(f"sqlite:///{tmp_path}")


def test_a_sqlite_path_under_a_file_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")

    with pytest.raises(StoreUnavailable, match="cannot open the database"):
        open_store(f"sqlite:///{tmp_path}/file/hatchet.db")


def test_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "hatchet.db").write_bytes(b"this is not sqlite" * 100)

    with pytest.raises(StoreUnavailable, match="not a database"):
        open_store(f"sqlite:///{tmp_path}/hatchet.db")


def test_the_sqlite_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "project" / ".hatchetd" / "hatchet.db"

    open_store(f"sqlite:///{path}").close()

    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_sqlite_connections_are_durable_wait_for_locks_and_check_foreign_keys(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/hatchet.db"
    open_store(url).close()
    engine = make_engine(parse_url(url))
    try:
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()

    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }


def test_rows_must_point_at_rows_that_exist(store: Store, new_run: Callable[..., NewRun]) -> None:
    orphan = new_run(event_id="no-such-event")

    with pytest.raises(IntegrityError):
        store.create_runs([orphan])

    assert store.get_workflow_run(orphan.run.id) is None
