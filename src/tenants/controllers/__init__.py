"""Pages and API of the tenant domain."""

from src.tenants.controllers import admin, api, organisation

ROUTES = [*admin.ROUTES, *organisation.ROUTES, *api.ROUTES]
