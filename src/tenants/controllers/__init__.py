"""Pages and API of the tenant domain."""

from src.tenants.controllers import admin, api, organisation, users_api

ROUTES = [*admin.ROUTES, *organisation.ROUTES, *api.ROUTES, *users_api.ROUTES]
