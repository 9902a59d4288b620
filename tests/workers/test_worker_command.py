"""`portal worker` needs a Redis broker and says so."""

from __future__ import annotations

from click.testing import CliRunner

from src.cli import main


def test_the_worker_refuses_to_start_without_redis_and_says_why():
    result = CliRunner().invoke(main, ["worker"], env={"REDIS_URL": ""})
    assert result.exit_code == 1
    assert "needs REDIS_URL" in result.output
