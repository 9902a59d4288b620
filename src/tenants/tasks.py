"""Background work of the tenant domain."""

from __future__ import annotations
