"""The committed migrations describe exactly the tables the code declares."""

from __future__ import annotations

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import Finder


@pytest.mark.parametrize("app_name", [c.app_name for c in Finder().get_app_configs()])
async def test_no_table_change_is_missing_a_migration(app_name):
    app_config = Finder().get_app_config(app_name)
    statements = await AutoMigrationManager().get_alter_statements(app_config=app_config)
    pending = [s for group in statements for s in group.statements]
    assert pending == [], f"run: piccolo migrations new {app_name} --auto"
