"""Errors the services raise; the app turns them into a page or a problem+json answer."""

from __future__ import annotations


class PortalError(Exception):
    status_code = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(PortalError):
    """Also what another organisation's object answers: never 403, never the object."""

    status_code = 404


class Forbidden(PortalError):
    status_code = 403


class Conflict(PortalError):
    status_code = 409


class InputError(PortalError):
    """Bad input: a message per field, nothing changed."""

    status_code = 422

    def __init__(self, errors: dict[str, str], message: str = "") -> None:
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class Unavailable(PortalError):
    """A service the portal depends on (a payment provider) cannot be reached now; try later."""

    status_code = 503
