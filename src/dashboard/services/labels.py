"""Readable labels for the audit log: its actions, object types, changed fields and coded values.

The audit rows store codes (`tenants.user_added`, `membership`, `role: end_user`); the page shows
them in the reader's language. An action, field or value without a label (a new code, an old
row) is shown as it is stored. The CSV export keeps the stored codes."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from babel.support import LazyProxy

from src.certificates import reasons
from src.certificates.services.manual_revocation import checklist_labels, evidence_labels
from src.certificates.services.overview import kind_labels
from src.core.i18n import _, current_locale, format_date, format_datetime
from src.dashboard.services.label_texts import (
    ACTION_GROUPS,
    ACTIONS,
    ASSURANCE,
    AUDIENCES,
    CERTIFICATE_FIELDS,
    CERTIFICATE_OBJECTS,
    CHANNELS,
    FIELDS,
    OBJECT_TYPES,
    ROLES,
    SIGN_IN_KINDS,
    STATUSES,
    SYSTEM_ACTORS,
)
from src.settings import get_settings
from src.tenants.legal_forms import country_label, legal_form_label
from src.tenants.services.agreement_documents import kind_label as agreement_kind_label


@functools.cache
def _labels(locale: str) -> dict[str, dict[str, str]]:
    """Every label in one language, translated once (the catalogues do not change while the
    portal runs; the audit page shows several labels on each of its rows)."""
    token = current_locale.set(locale)
    try:

        def plain(table: dict[str, LazyProxy]) -> dict[str, str]:
            return {code: str(label) for code, label in table.items()}

        return {
            "actions": plain(ACTIONS),
            "objects": plain(OBJECT_TYPES),
            # the checklist of a manual revocation is stored with its items as fields
            "fields": {**plain(FIELDS), **checklist_labels(), **evidence_labels()},
            "certificate_fields": plain(CERTIFICATE_FIELDS),
            "roles": plain(ROLES),
            "statuses": plain(STATUSES),
            "channels": plain(CHANNELS),
            "audiences": plain(AUDIENCES),
            "sign_in_kinds": plain(SIGN_IN_KINDS),
            "assurance": plain(ASSURANCE),
            "groups": plain(ACTION_GROUPS),
            "system_actors": plain(SYSTEM_ACTORS),
            "kinds": kind_labels(),
            "reasons": {code: reasons.label(code) for code in reasons.REASON_FLAGS},
        }
    finally:
        current_locale.reset(token)


def _table(name: str) -> dict[str, str]:
    return _labels(current_locale.get())[name]


def action_label(code: str) -> str:
    """The action in the current language; an unknown code is shown as it is."""
    return _table("actions").get(code, code)


def has_action_label(code: str) -> bool:
    return code in ACTIONS


def object_label(object_type: str) -> str:
    return _table("objects").get(object_type, object_type)


def field_label(field: str, object_type: str = "") -> str:
    if object_type in CERTIFICATE_OBJECTS and field in CERTIFICATE_FIELDS:
        return _table("certificate_fields")[field]
    return _table("fields").get(field, field)


def _lookup(name: str) -> Callable[[str], str]:
    return lambda code: _table(name).get(code, code)


def _provider(name: str) -> str:
    """A sign-in provider by the label it is configured with."""
    for provider in get_settings().identity_providers:
        if provider.name == name:
            return provider.label
    return name


_VALUES: dict[str, Callable[[str], str]] = {
    "role": _lookup("roles"),
    "status": _lookup("statuses"),
    "state": _lookup("statuses"),
    "cause": _lookup("statuses"),
    "channel": _lookup("channels"),
    "received_via": _lookup("channels"),
    "audience": _lookup("audiences"),
    "assurance": _lookup("assurance"),
    "provider": _provider,
    "legal_form": legal_form_label,
    "country": country_label,
}
# Fields whose codes mean something else per kind of object.
_OBJECT_VALUES: dict[tuple[str, str], Callable[[str], str]] = {
    **{(o, "kind"): _lookup("kinds") for o in CERTIFICATE_OBJECTS},
    **{(o, "reason"): _lookup("reasons") for o in CERTIFICATE_OBJECTS},
    ("agreement_document", "kind"): agreement_kind_label,
    ("person", "kind"): _lookup("sign_in_kinds"),
}
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


@dataclass(frozen=True)
class Names:
    """Names of the codes the audit rows store of other tables (services and their variants by
    code), in the reader's language, and whose time zone moments are shown in."""

    services: dict[str, str] = field(default_factory=dict)
    variants: dict[str, str] = field(default_factory=dict)
    country: str | None = None


def value_label(field: str, value: Any, object_type: str = "", names: Names | None = None) -> Any:
    """A coded value's label in the current language, a stored date or moment as the reader's
    language writes it; any other value is returned unchanged."""
    names = names or Names()
    if field == "documents" and isinstance(value, list):
        return [_document(d) for d in value]
    if isinstance(value, dict):
        return {field_label(k, object_type): value_label(k, v, object_type, names) for k, v in value.items()}
    if isinstance(value, list):
        return [value_label(field, v, object_type, names) for v in value]
    if not isinstance(value, str) or not value:
        return value
    if field == "service" or (object_type == "service" and field == "code"):
        return names.services.get(value, value)
    if field == "variant":
        return names.variants.get(value, value)
    label = _OBJECT_VALUES.get((object_type, field)) or _VALUES.get(field)
    if label is not None:
        return label(value)
    if _DATE.match(value):
        return format_date(dt.date.fromisoformat(value))
    if _MOMENT.match(value):
        try:
            return format_datetime(dt.datetime.fromisoformat(value), country=names.country)
        except ValueError:
            return value
    return value


def action_groups(actions: list[str]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The actions that occur, for the audit log's filter: (group label, prefix, [(code,
    label)]) in the order of ACTION_GROUPS; actions of one prefix sorted by their labels."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in actions:
        prefix = code.split(".", 1)[0] + "."
        groups.setdefault(prefix, []).append((code, action_label(code)))
    table = _table("groups")
    order = [p for p in ACTION_GROUPS if p in groups] + sorted(p for p in groups if p not in ACTION_GROUPS)
    return [(table.get(p, p), p, sorted(groups[p], key=lambda item: item[1])) for p in order]


def actor_name(actor_label: str) -> str:
    """Who acted, as a person reads it: the stored label without its person number; the
    portal's own actors (person number 0) by their label."""
    name = _NUMBERED.sub("", actor_label)
    return _table("system_actors").get(name, name)


_NUMBERED = re.compile(r" \(#\d+\)$")


def _document(document: Any) -> Any:
    """A signed agreement document by its title and version (its digests stay in the CSV)."""
    if not isinstance(document, dict) or not document.get("title"):
        return document
    return _("%(title)s, version %(version)s", title=document["title"], version=document.get("version", "?"))
