"""The embedded default: no Redis; the web process runs a dramatiq worker on the stub broker
and relays the outbox itself (both started by the app's lifespan)."""

from __future__ import annotations

import os
import uuid

from litestar.testing import AsyncTestClient

from src.core import db, outbox
from src.core.tables import CaughtMail, SentMail
from src.settings import Settings, get_settings, override_settings
from tests.workers.conftest import wait_until


async def test_the_app_worker_delivers_a_mail_queued_through_the_outbox_to_the_catcher():
    from src.app import create_app

    previous = get_settings()
    app = create_app(Settings.from_env(dict(os.environ)), run_worker=True, start_pool=False)
    subject = f"Embedded {uuid.uuid4().hex[:8]}"
    key = f"test-mail:{uuid.uuid4()}"
    try:
        # The test client runs the app's lifespan on an event loop in another thread, so the
        # relay waits on that loop; the commit's wake-up must reach it from here.
        async with AsyncTestClient(app=app):
            async with db.transaction():  # what a service does
                await outbox.enqueue(
                    "send_mail", {"to": ["eve@example.org"], "subject": subject, "body": "Hi"}, key
                )
            mail = await wait_until(
                lambda: CaughtMail.select().where(CaughtMail.subject == subject).first(),
                "the mail being caught",
            )
    finally:
        override_settings(previous)
    assert mail["recipients"] == "eve@example.org"
    assert mail["body"] == "Hi"
    assert await SentMail.exists().where(SentMail.dedupe_key == key)
