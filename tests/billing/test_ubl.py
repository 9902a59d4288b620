"""The e-invoice (UBL 2.1, Peppol BIS Billing 3.0): every document the renderer writes is valid
against the UBL 2.1 schemas and holds the EN 16931 rules the renderer is responsible for."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree


@cache
def _schema(kind: str) -> etree.XMLSchema:
    import peppol

    folder = Path(peppol.__file__).parent / "schema" / "maindoc"
    return etree.XMLSchema(etree.parse(str(folder / f"UBL-{kind}-2.1.xsd")))


def schema_errors(data: bytes) -> list[str]:
    """What the UBL 2.1 XSD of the document's kind finds wrong with it (empty: valid)."""
    root = etree.fromstring(data)
    kind = etree.QName(root).localname
    schema = _schema(kind)
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
