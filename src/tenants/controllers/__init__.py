"""Pages and API of the tenant domain."""

from src.tenants.controllers import (
    admin,
    agreements,
    announcements,
    api,
    banners,
    legacy_terms,
    organisation,
    profile,
    requests,
    rights,
    users_api,
)

ROUTES = [
    *admin.ROUTES,
    *organisation.ROUTES,
    *profile.ROUTES,
    *api.ROUTES,
    *users_api.ROUTES,
    *agreements.ROUTES,
    *rights.ROUTES,
    *requests.ROUTES,
    *announcements.ROUTES,
    *legacy_terms.ROUTES,
    *banners.ROUTES,
]
PAGE_HOOKS = banners.PAGE_HOOKS
