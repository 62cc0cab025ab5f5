"""`create_app()`: the FastAPI app with its store, engine, runtime, registry and watcher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from hatchetd import __version__
from hatchetd.api import changes, events, health, runs, status, worker_socket, workers, workflows
from hatchetd.api.auth import BearerAuth
from hatchetd.api.body import CloseUnreadBody
from hatchetd.api.drain import DrainGate
from hatchetd.api.errors import install_error_handlers
from hatchetd.api.openapi import install_openapi
from hatchetd.api.services import Services
from hatchetd.api.sessions import WorkerSessions
from hatchetd.api.url_guard import RefuseNulInUrl
from hatchetd.engine import Clock, Engine, SystemClock
from hatchetd.runtime import Faults, Runtime
from hatchetd.settings import Settings
from hatchetd.store import Store, StoreTrouble, open_store
from hatchetd.workflows.registry import Registry, ReloadOutcome
from hatchetd.workflows.watcher import watch_folder

log = logging.getLogger("hatchetd")

RELOAD_RETRY = 0.5
"""Seconds between checks for a reload that failed during an outage."""
STOP_TIMEOUT = 5.0
"""Seconds the engine thread gets to finish its last batch at shutdown."""


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    faults: Faults | None = None,
) -> FastAPI:
    """Build the daemon's app. Nothing starts until the app's lifespan does.

    `store` lets the caller open the database first (the server does, to report a bad URL before
    binding a port); otherwise the lifespan opens `settings.database_url`. `clock` is for tests,
    `faults` for the reliability tests' crash points.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.folder.mkdir(parents=True, exist_ok=True)
        the_store = store if store is not None else open_store(settings.database_url)
        the_clock = clock or SystemClock()
        engine = Engine(the_store, the_clock, heartbeat_interval=settings.heartbeat_interval)
        runtime = Runtime(engine, the_store, the_clock, faults=faults)
        services = Services(
            settings=settings,
            store=the_store,
            runtime=runtime,
            registry=Registry(
                settings.folder,
                the_store,
                the_clock.now,
                alone=runtime.alone,
            ),
            sessions=WorkerSessions(),
            started_at=the_clock.now(),
        )
        app.state.services = services
        runtime.start(
            services.sessions.deliver,
            changes=lambda written: services.changes.publish(written, the_clock.now()),
        )
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        try:
            await asyncio.to_thread(runtime.opened.wait)
            await reload_folder(services)

            async def on_change() -> None:
                await reload_folder(services)

            tasks.append(asyncio.create_task(watch_folder(settings.folder, on_change, stop=stop)))
            tasks.append(asyncio.create_task(_reload_after_outages(services, stop)))
            yield
        finally:
            services.drain()
            stop.set()
            await asyncio.gather(*tasks)
            await services.sessions.close_all()
            await runtime.stop(timeout=_time_left(services))
            if store is None:
                the_store.close()

    app = FastAPI(
        title="hatchetd",
        version=__version__,
        summary="A local-first event store and workflow engine.",
        lifespan=lifespan,
    )
    # The last added runs first: every answer but a draining one passes CloseUnreadBody, and
    # auth comes before the routes.
    app.add_middleware(RefuseNulInUrl)
    if settings.token is not None:
        app.add_middleware(BearerAuth, token=settings.token)
    app.add_middleware(CloseUnreadBody)
    # Outermost: a draining daemon answers before anything else (with `Connection: close`).
    app.add_middleware(DrainGate)
    install_error_handlers(app)
    install_openapi(app, token_required=settings.token is not None)
    for module in (health, status, events, runs, workflows, workers, changes, worker_socket):
        app.include_router(module.router)
    return app


async def _reload_after_outages(services: Services, stop: asyncio.Event) -> None:
    """Reload the folder once the database is back if a reload failed meanwhile (a file saved
    during the outage, or the first load at start)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RELOAD_RETRY)
        if services.reload_pending and services.runtime.outage.trouble is None:
            await reload_folder(services)


def _time_left(services: Services) -> float:
    """How long the engine thread may take to stop: what is left of the drain timeout."""
    if services.stop_by is None:
        return STOP_TIMEOUT
    return max(0.2, services.stop_by - time.monotonic())


async def reload_folder(services: Services) -> ReloadOutcome | None:
    """Reload the workflow folder on the engine thread and make its versions the active ones."""
    registry = services.registry

    def reload(engine: Engine) -> ReloadOutcome:
        outcome = registry.reload()
        engine.set_active_workflows(outcome.active)
        return outcome

    try:
        outcome = await services.runtime.call(reload)
    except OSError as exc:  # the folder vanished; keep what is active until it is back
        log.warning("cannot read %s: %s", registry.root, exc)
        return None
    except StoreTrouble as exc:
        log.warning(
            "cannot reload %s now (again once the database is back): %s", registry.root, exc
        )
        services.reload_pending = True
        return None
    services.reload_pending = False
    services.reload = outcome
    services.reloads += 1
    for f in outcome.files:
        for error in f.errors:
            log.warning("%s", error)
    if outcome.new_versions:
        log.info("loaded %s", ", ".join(outcome.new_versions))
    if services.store.shared:
        for line in await asyncio.to_thread(registry.drift):
            log.warning("this folder differs from what the store runs: %s", line)
    return outcome
