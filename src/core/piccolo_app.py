import os

from piccolo.conf.apps import AppConfig

from src.core.tables import AuditEntry, CaughtAttachment, CaughtMail, OutboxMessage, ScheduledJob, SentMail

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[AuditEntry, OutboxMessage, CaughtMail, CaughtAttachment, SentMail, ScheduledJob],
    migration_dependencies=[],
    commands=[],
)
