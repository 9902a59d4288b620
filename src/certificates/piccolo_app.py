import os

from piccolo.conf.apps import AppConfig

from src.certificates.tables import (
    Certificate,
    CertificateApplication,
    CertificateAuthority,
    CrlState,
    EvidenceFile,
    ManualRevocationRequest,
    RenewalLetter,
    Revocation,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="certificates",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        CertificateAuthority,
        CertificateApplication,
        Certificate,
        Revocation,
        ManualRevocationRequest,
        EvidenceFile,
        RenewalLetter,
        CrlState,
    ],
    migration_dependencies=["src.tenants.piccolo_app"],
    commands=[],
)
