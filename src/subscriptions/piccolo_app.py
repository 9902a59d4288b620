import os

from piccolo.conf.apps import AppConfig

from src.subscriptions.tables import (
    Charge,
    PriceChange,
    Service,
    ServiceArea,
    ServiceModule,
    ServiceVariant,
    Subscription,
    SubscriptionChange,
)
from src.tenants.tables import ModuleRight

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="subscriptions",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    # ModuleRight is the tenant domain's table; its reference to ServiceModule puts it here.
    table_classes=[
        Charge,
        Service,
        ServiceModule,
        ServiceVariant,
        Subscription,
        ModuleRight,
        SubscriptionChange,
        PriceChange,
        ServiceArea,
    ],
    migration_dependencies=["src.tenants.piccolo_app"],
    commands=[],
)
