"""Dutch and Swedish are complete: every string the code and templates mark for translation
has a translation in both catalogues, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _marked_strings() -> set[object]:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[object] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


@pytest.mark.parametrize("locale", ["nl", "sv"])
def test_every_marked_string_is_translated(locale):
    with open(ROOT / "src" / "locale" / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = []
    for message in _marked_strings():
        key = message[0] if isinstance(message, tuple) else message
        string = translated.get(message) or translated.get(key)  # plurals are keyed by (singular, plural)
        if not string or (isinstance(string, tuple) and not all(string)):
            missing.append(message)
    assert missing == [], f"untranslated in {locale}: run `make translations` and translate"


@pytest.mark.parametrize("locale", ["nl", "sv"])
def test_translations_keep_their_placeholders(locale):
    with open(ROOT / "src" / "locale" / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po)
    wrong = []
    for m in catalog:
        if not m.id:
            continue
        source = " ".join(m.id) if isinstance(m.id, tuple) else m.id
        target = " ".join(m.string) if isinstance(m.string, tuple) else m.string
        if set(PLACEHOLDER.findall(source)) - {"%(num)d"} != set(PLACEHOLDER.findall(target)) - {"%(num)d"}:
            wrong.append(m.id)
    assert wrong == []
