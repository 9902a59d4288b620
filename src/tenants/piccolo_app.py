import os

from piccolo.conf.apps import AppConfig

from src.tenants.tables import Membership, Organisation, Person

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="tenants",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Organisation, Person, Membership],
    migration_dependencies=[],
    commands=[],
)
