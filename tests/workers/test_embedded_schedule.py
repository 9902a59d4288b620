"""The embedded default runs the schedule in the web process: `make run` (`portal run-demo`) sends
the renewal letters with nobody running `portal worker`."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from src.settings import get_settings
from tests.certificates.test_renewal import certificate_expiring_in
from tests.workers.conftest import PortalProcess, free_port, wait_until


@pytest.fixture
def run_demo() -> Iterator[list[PortalProcess]]:
    started: list[PortalProcess] = []
    yield started
    for process in started:
        process.stop(30)


async def test_make_run_sends_the_renewal_letter_without_a_worker(run_demo, smtp_sink):
    # rule CRT-2: sixty days before expiry the letter goes out, on the embedded default too
    _org, issued = await certificate_expiring_in(45)
    smtp = smtp_sink()
    # As `make run` starts it: no Redis, the demo's own identity provider and address.
    environment = {
        k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "OIDC_PROVIDERS", "BASE_URL")
    }
    environment.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        DEMO_OIDC_PORT=str(free_port()),
        PYTHONUNBUFFERED="1",
    )
    portal = PortalProcess(environment, ["run-demo", "--port", str(free_port())])
    run_demo.append(portal)

    (letter,) = await wait_until(
        lambda: [m for m in smtp.messages if issued.number in m["Subject"]],
        lambda: f"the renewal letter reaching the SMTP server\n{portal.log}",
        within=120,
    )
    assert letter["To"] == "hanna@zorg.example, carla@zorg.example"
    lock = "PostgreSQL advisory lock" if get_settings().uses_postgres else "file lock"
    assert f"this process runs the schedule ({lock}" in portal.log
    portal.stop(30)
    assert "Application shutdown complete" in portal.log
