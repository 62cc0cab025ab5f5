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

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from acceptance_support import wait_for
from sqlalchemy import Connection, Engine, event
from tcp_proxy import TcpProxy, proxy_to

from hatchetd.api import create_app
from hatchetd.api.services import Services
from hatchetd.settings import Settings
from tests.live import serve


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
    tmp_path: Path, postgres_url: str, reply_lost: bool
) -> None:
    folder = tmp_path / ".hatchet"
    folder.mkdir()
    with proxy_to(postgres_url) as proxy:
        settings = Settings(
            folder=folder,
            database_url=proxy.url_for(postgres_url),
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
                assert stored_keys(postgres_url) == ["k1"]
            else:
                assert response.status_code == 503, response.text  # it did not
                assert response.json()["error"]["code"] == "database_unavailable"
                assert stored_keys(postgres_url) == []
            with httpx.Client(base_url=address, timeout=10) as client:
                wait_for(lambda: client.get("/readyz").status_code == 200, what="ready again")
