"""The daemon's app in process: real store, engine, runtime and watcher; no sockets."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hatchetd.api import create_app
from hatchetd.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    folder = tmp_path / ".hatchet"
    folder.mkdir()
    shutil.copy(ROOT / ".hatchet/post-user-sign-up.yaml", folder)
    return Settings(
        folder=folder,
        database_url=f"sqlite:///{tmp_path / '.hatchetd' / 'hatchet.db'}",
        host="127.0.0.1",
        port=0,
        token=None,
        heartbeat_interval=5.0,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c
