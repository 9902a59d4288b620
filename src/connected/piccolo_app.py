import os

from piccolo.conf.apps import AppConfig

from src.connected.tables import ModuleEvent, ServiceClient

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="connected",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[ServiceClient, ModuleEvent],
    migration_dependencies=["src.tenants.piccolo_app"],
    commands=[],
)
