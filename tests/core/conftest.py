"""Fixtures of the core tests that drive the outbox (see outbox_support.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from src.settings import get_settings, override_settings
from src.workers import broker as broker_module


@pytest.fixture
def empty_broker() -> None:
    """The in-process broker with no message left from an earlier test."""
    broker_module.get_actor("send_mail")  # every actor is declared
    broker_module.broker.flush_all()


@pytest.fixture
def settings_with() -> Any:
    def apply(**changes: Any) -> None:
        override_settings(dataclasses.replace(get_settings(), **changes))

    return apply
