"""Browser journeys: the portal served by a real uvicorn process, Debian's Chromium driven by
Playwright, sign-in through the real OpenID provider's own form."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright

from tests.oidc_support import EID_CLAIM, ensure_provider_running
from tests.support import truncate_all

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_FOUND = Path(CHROMIUM).exists()
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "")) if os.environ.get("SCREENSHOT_DIR") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Running:
    """The portal process the journeys of this test process share while they run in a row."""

    stack: contextlib.ExitStack | None = None
    base = ""


def _stop_shared_portal() -> None:
    if _Running.stack is not None:
        stack, _Running.stack, _Running.base = _Running.stack, None, ""
        stack.close()


@pytest.fixture(scope="module")
def live_server() -> Iterator[str]:
    """A real server process for the journeys. Modules of journeys that run one after the other
    share one (started once, on empty tables; every test empties them again); it is stopped
    before any other test runs (`pytest_runtest_teardown` below): its in-process worker relays
    the outbox of the shared test database, which later tests must own alone."""
    if _Running.stack is None:
        stack = contextlib.ExitStack()
        # The journeys of several modules sign in through the provider within a minute, more often
        # than the per-client limit lets one person (that limit has tests of its own, in
        # tests/identity).
        _Running.base = stack.enter_context(serve_portal(SIGNIN_RATE_LIMIT="1000"))
        _Running.stack = stack
    yield _Running.base


def _uses_shared_portal(item: pytest.Item | None) -> bool:
    """Whether this test uses the `live_server` above (a module may bring a server of its own)."""
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.get("live_server", ()) if info is not None else ()
    return bool(definitions) and getattr(definitions[-1].func, "__module__", "") == __name__


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if not _uses_shared_portal(nextitem):
        _stop_shared_portal()


def pytest_sessionfinish() -> None:
    _stop_shared_portal()


@contextlib.contextmanager
def serve_portal(**settings: str) -> Iterator[str]:
    """The portal in a uvicorn process of its own, with these settings on top of the tests'.

    It starts on empty tables: its in-process worker would otherwise send the mail an earlier
    test left queued (letters for certificates numbered like the journey's own) into the
    journey's mail catcher."""
    ensure_provider_running()
    asyncio.run(truncate_all())
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BASE_URL": base, **settings}
    log = open(Path(os.environ["PORTAL_VAR_DIR"]) / "live-server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "src.cli", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            raise RuntimeError("the portal did not start: " + (Path(log.name).read_text()[-3000:]))
        time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_FOUND:
        pytest.fail(f"Chromium is needed for the browser journeys and was not found at {CHROMIUM}")
    async with async_playwright() as p:
        instance = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


@pytest.fixture(params=[(1280, 800), (390, 844)], ids=["laptop", "phone"])
async def context(request: Any, browser: Browser) -> AsyncIterator[BrowserContext]:
    width, height = request.param
    ctx = await browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    yield ctx
    await ctx.close()


async def shot(page: Any, name: str) -> None:
    """Keep a screenshot when SCREENSHOT_DIR is set (for looking at pages while building them)."""
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"] if page.viewport_size else 0
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


async def htmx_settled(page: Any) -> None:
    """Wait until htmx has swapped and settled, as a person would before the next click."""
    from playwright.async_api import expect

    await expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


async def signed_in_page(
    context: BrowserContext,
    live_server: str,
    claims: dict[str, Any],
    provider: str = "eid",
    landing: str = "/organisation",
) -> Any:
    """A new page on which whoever `claims` name is signed in, on the page the sign-in sends them
    to (`landing`, where the callback's redirect leads), for the journeys that are about something else.

    The session is made as tests/signed_in.py makes it, by the sign-in callback's own code as if
    `provider` had just answered, in an app on this process that shares the server's session
    store; its cookie is then handed to the browser. The way through the provider's form is
    proven by the sign-in and sign-out journeys."""
    from litestar.testing import AsyncTestClient

    from src.app import create_app
    from src.settings import Settings
    from tests.signed_in import sign_in

    app = create_app(
        Settings.from_env({**os.environ, "BASE_URL": live_server}), run_worker=False, start_pool=False
    )
    async with AsyncTestClient(app=app, base_url=live_server) as client:
        answer = await sign_in(client, claims, provider)
        assert answer.status_code in (302, 303), answer.text
        session = client.cookies["portal_session"]
    await context.add_cookies([{"name": "portal_session", "value": session, "url": live_server}])
    page = await context.new_page()
    await page.goto(f"{live_server}{answer.headers['location']}")
    await page.wait_for_url(f"**{landing}")
    return page


async def sign_in_as_vendor_admin(context: BrowserContext, live_server: str, admin: dict[str, Any]) -> Any:
    """A new page, signed in as this vendor admin (staff sign-in), on their first page."""
    return await signed_in_page(
        context, live_server, {EID_CLAIM: admin["personal_identity_number"]}, "staff", "/admin"
    )
