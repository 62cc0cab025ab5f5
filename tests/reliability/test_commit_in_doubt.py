"""A commit whose answer never came is settled before anyone is told (issue 10, item 2).

When the connection to PostgreSQL drops while a batch commits, the daemon cannot know whether
the commit happened. It must not tell the callers "failed" if it did (they would push again
and make a duplicate), nor "stored" if it did not. So it holds their answers until the database
is back and its replica row says whether that batch's number was committed.

The test runs the daemon's app in this process, behind a TCP proxy, and acts at the exact
moment of the commit through SQLAlchemy's `commit` event: either the COMMIT never reaches
the server (the proxy cuts first), or it does and only the reply is lost (muted, then cut).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
from acceptance_support import PG_URL_VARIABLE, wait_for
from process_fixtures import drop_pg_database, new_pg_database
from sqlalchemy import Connection, Engine, event
from tcp_proxy import TcpProxy, proxy_to

from hatchetd.api import create_app
from hatchetd.api.services import Services
from hatchetd.settings import Settings
from tests.live import serve

pytestmark = pytest.mark.skipif(
    not os.environ.get(PG_URL_VARIABLE),
    reason=f"{PG_URL_VARIABLE} is not set: the commit-in-doubt tests need PostgreSQL",
)


@pytest.fixture
def pg_url() -> Iterator[str]:
    base = os.environ[PG_URL_VARIABLE]
    url = new_pg_database(base)
    yield url
    drop_pg_database(base, url)


def via(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{proxy.port}"))


class CommitTrap:
    """Acts on the proxy at the next commit of a batch that has callers."""

    def __init__(self, proxy: TcpProxy, services: Services, *, reply_lost: bool) -> None:
        self._proxy = proxy
        self._services = services
        self._reply_lost = reply_lost
        self.armed = threading.Event()
        self.sprung = threading.Event()

    def __call__(self, conn: Connection) -> None:
        if not self.armed.is_set() or self._services.runtime.outage.committing_batch is None:
            return
        self.armed.clear()
        if self._reply_lost:
            self._proxy.mute()  # the COMMIT goes through; its reply will not
            threading.Timer(0.5, self._proxy.cut).start()
        else:
            self._proxy.cut()  # the COMMIT never reaches the server
        self.sprung.set()


def stored_keys(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT idempotency_key FROM events")]


@pytest.mark.parametrize("reply_lost", [True, False], ids=["committed", "not-committed"])
def test_a_commit_in_doubt_is_answered_as_it_turned_out(
    tmp_path: Path, pg_url: str, reply_lost: bool
) -> None:
    folder = tmp_path / ".hatchet"
    folder.mkdir()
    parts = urlsplit(pg_url)
    with proxy_to(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        settings = Settings(
            folder=folder,
            database_url=via(proxy, pg_url),
            host="127.0.0.1",
            port=0,
            token=None,
            heartbeat_interval=5.0,
        )
        app = create_app(settings)
        with serve(app) as address:
            trap = CommitTrap(proxy, app.state.services, reply_lost=reply_lost)
            event.listen(Engine, "commit", trap)
            try:
                outcome: dict[str, Any] = {}

                def push() -> None:
                    with httpx.Client(base_url=address, timeout=30) as client:
                        body = {"key": "doubt:push", "data": {"n": 1}, "idempotency_key": "k1"}
                        outcome["response"] = client.post("/api/v1/events", json=body)

                trap.armed.set()
                pusher = threading.Thread(target=push)
                pusher.start()
                assert trap.sprung.wait(10), "no batch with callers committed"
                time.sleep(1.5)  # the outage: the caller is neither answered nor refused
                assert "response" not in outcome
                proxy.restore()
                pusher.join(15)
            finally:
                event.remove(Engine, "commit", trap)
            response: httpx.Response = outcome["response"]
            if reply_lost:
                assert response.status_code == 201, response.text  # it did commit
                assert stored_keys(pg_url) == ["k1"]
            else:
                assert response.status_code == 503, response.text  # it did not
                assert response.json()["error"]["code"] == "database_unavailable"
                assert stored_keys(pg_url) == []
            with httpx.Client(base_url=address, timeout=10) as client:
                wait_for(lambda: client.get("/readyz").status_code == 200, what="ready again")
