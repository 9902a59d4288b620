"""API shapes for a user's rights per module (rules MOD-1, MOD-2)."""

from __future__ import annotations

import msgspec


class Right(msgspec.Struct, forbid_unknown_fields=True):
    """A right for one module of a service (codes from `GET /api/v1/services`); `signing` only
    in a module with signing rights (the procurement portal's `contracting`)."""

    service: str
    module: str
    signing: bool = False


class RightsUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly the rights the user should have. Taking away the organisation's last signing right
    answers 409 unless `confirm_last_signer` is true."""

    rights: list[Right]
    confirm_last_signer: bool = False
