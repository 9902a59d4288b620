import os

from piccolo.conf.apps import AppConfig

from src.tenants.tables import (
    AgreementAcceptance,
    AgreementDocument,
    Announcement,
    LegacyTermsNotice,
    Membership,
    Organisation,
    OrganisationTally,
    Person,
    UserRequest,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="tenants",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        Organisation,
        OrganisationTally,
        Person,
        Membership,
        AgreementDocument,
        AgreementAcceptance,
        LegacyTermsNotice,
        UserRequest,
        Announcement,
    ],
    migration_dependencies=[],
    commands=[],
)
