from piccolo.conf.apps import AppRegistry

from src.core.db import make_engine

DB = make_engine()

APP_REGISTRY = AppRegistry(
    apps=[
        "src.core.piccolo_app",
        "src.tenants.piccolo_app",
        "src.identity.piccolo_app",
        "src.subscriptions.piccolo_app",
        "src.certificates.piccolo_app",
        "src.billing.piccolo_app",
        "src.connected.piccolo_app",
    ]
)
