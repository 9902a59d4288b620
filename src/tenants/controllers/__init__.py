"""Pages and API of the tenant domain."""

from src.tenants.controllers import (
    admin,
    agreements,
    announcements,
    api,
    organisation,
    requests,
    rights,
    users_api,
)

ROUTES = [
    *admin.ROUTES,
    *organisation.ROUTES,
    *api.ROUTES,
    *users_api.ROUTES,
    *agreements.ROUTES,
    *rights.ROUTES,
    *requests.ROUTES,
    *announcements.ROUTES,
]
