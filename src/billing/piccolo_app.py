import os

from piccolo.conf.apps import AppConfig

from src.billing.tables import (
    BankLine,
    BankStatement,
    BillingBatch,
    BillingRun,
    Invoice,
    InvoiceDispute,
    InvoiceDocument,
    InvoiceLine,
    InvoiceReminder,
    NumberSeries,
    Payment,
    StripeCustomer,
    StripeEvent,
    StripeIntent,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="billing",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        BillingRun,
        BillingBatch,
        NumberSeries,
        Invoice,
        InvoiceLine,
        InvoiceDocument,
        InvoiceDispute,
        StripeCustomer,
        StripeIntent,
        StripeEvent,
        Payment,
        BankStatement,
        BankLine,
        InvoiceReminder,
    ],
    migration_dependencies=["src.subscriptions.piccolo_app"],
    commands=[],
)
