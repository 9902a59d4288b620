"""create_app(settings): the one place the application is assembled."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig

from src import domains
from src.core import db, outbox
from src.core.api_docs import SwaggerDocs, document_api_errors
from src.core.scheduling import DatabaseRunLog
from src.core.security import CountingMemoryStore, security_headers, trusted_proxies_middleware
from src.core.sessions import PortalSessionConfig
from src.core.templating import template_environment
from src.core.web import (
    EXCEPTION_HANDLERS,
    refuse_impossible_ids,
    refuse_unexpected_body,
    refuse_unstorable_text,
    use_language_of,
)
from src.settings import ROOT, Settings, get_settings, override_settings
from src.workers import broker, scheduler

log = logging.getLogger(__name__)

API_TITLE = "Care portal API"


def stores_for(settings: Settings) -> dict[str, Store]:
    """The app's stores: sessions and rate-limit counts, in Redis when there is one."""
    if settings.redis_url:
        root = RedisStore.with_client(url=settings.redis_url, namespace="portal")
        return {"sessions": root.with_namespace("sessions"), "rate_limits": root.with_namespace("rl")}
    return {
        "sessions": FileStore(settings.var_dir / "sessions"),
        "rate_limits": CountingMemoryStore(),
    }


def _before_request(page_hooks: list[Any]) -> Any:
    """Checks every request passes, then the domains' page hooks (what a full page shows
    besides its content, such as the banners), before the handler runs."""

    async def before_request(request: Request[Any, Any, Any]) -> None:
        use_language_of(request)
        refuse_impossible_ids(request)
        refuse_unexpected_body(request)
        await refuse_unstorable_text(request)
        for hook in page_hooks:
            await hook(request)

    return before_request


@contextlib.asynccontextmanager
async def _lifespan(app: Litestar) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if app.state.start_pool:
        await db.start_pool()
    worker = None
    leader = None
    leader_task = None
    if not settings.broker_is_redis and app.state.run_worker:
        # The embedded default: the actors and the schedule run in this process (with Redis as
        # the broker, `portal worker` runs them).
        broker.attach_app_loop(asyncio.get_running_loop())
        worker = broker.InProcessWorker()
        worker.start()
        leader = _schedule_leader(settings)
        leader_task = asyncio.create_task(leader.run())
    relay_task = asyncio.create_task(outbox.relay_when_kicked()) if app.state.run_worker else None
    # What exists after start-up (modules, templates, the app) lives as long as the process: the
    # collector need not walk it again on every full collection, which would pause requests.
    gc.collect()
    gc.freeze()
    log.info("Web process %d ready", os.getpid())
    try:
        yield
    finally:
        if relay_task is not None:
            relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay_task
        if leader is not None and leader_task is not None:
            await leader.stop()
            await leader_task
        if worker is not None:
            await asyncio.to_thread(worker.stop)
            broker.attach_app_loop(None)
        if app.state.start_pool:
            await db.close_pool()


def _schedule_leader(settings: Settings) -> scheduler.Leader:
    """The schedule of every registered job, run by this process while it holds the leader's lock
    (src.workers.scheduler); src.domains has imported every module that declares jobs."""
    return scheduler.leader_for(settings, DatabaseRunLog())


def create_app(
    settings: Settings | None = None, *, run_worker: bool = True, start_pool: bool = True
) -> Litestar:
    """The application. Tests pass start_pool=False: their client runs the app on an event loop
    of its own, and a PostgreSQL pool is bound to the loop that opened it."""
    if settings is None:
        settings = get_settings()
    else:
        override_settings(settings)
    template_config = TemplateConfig(
        engine=JinjaTemplateEngine.from_environment(template_environment(settings.debug)),
    )
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="portal_csrf",
        cookie_secure=settings.secure_cookies,
        cookie_httponly=False,
        cookie_samesite="strict",
        header_name="x-csrftoken",
        # Path prefixes (regular expressions, searched anywhere in the path unless anchored):
        # the API authenticates with a bearer token, OCSP clients send DER.
        exclude=["^/api/", "^/ocsp(?:/|$)", "^/webhooks/stripe$"],
    )
    session = PortalSessionConfig(
        store="sessions",
        key="portal_session",
        max_age=settings.session_max_age,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
        renew_on_access=False,
    )
    middleware: list[Any] = [session.middleware]
    if settings.trusted_proxies:
        # Outermost, so everything after it sees the client's address.
        middleware.insert(0, DefineMiddleware(trusted_proxies_middleware(settings.trusted_proxies)))
    openapi = OpenAPIConfig(
        title=API_TITLE,
        version="1.0.0",
        path="/schema",
        render_plugins=[SwaggerDocs(API_TITLE)],
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="API token")}
        ),
        security=[{"bearer": []}],
    )
    app = Litestar(
        route_handlers=[
            *domains.listed("ROUTES"),
            create_static_files_router(
                path="/static", directories=[ROOT / "static"], include_in_schema=False
            ),
        ],
        template_config=template_config,
        csrf_config=csrf,
        middleware=middleware,
        before_send=[security_headers(settings.secure_cookies)],
        stores=stores_for(settings),
        openapi_config=openapi,
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=_before_request(domains.listed("PAGE_HOOKS")),
        lifespan=[_lifespan],
        debug=settings.debug,
    )
    document_api_errors(app)
    app.state.settings = settings
    app.state.run_worker = run_worker
    app.state.start_pool = start_pool
    return app
