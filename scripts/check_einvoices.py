"""Run the official EN 16931 and Peppol BIS Billing 3.0 rules on the sample e-invoices.

    uv run --frozen python scripts/check_einvoices.py CEN.xslt PEPPOL.sch [--out DIR]

CEN.xslt: the compiled EN 16931 UBL rules (ConnectingEurope/eInvoicing-EN16931,
ubl/xslt/EN16931-UBL-validation.xslt). PEPPOL.sch: the Peppol BIS Billing 3.0 UBL rules
(OpenPEPPOL/peppol-bis-invoice-3, rules/sch/PEPPOL-EN16931-UBL.sch); a compiled .xslt of them works
too. Neither is part of the portal (they are public artefacts under EUPL-1.2): fetch them yourself.

The samples are those of tests/billing/einvoice_samples.py, rendered by src/billing/services/ubl.py
with an example vendor. Each sample is also checked against the UBL 2.1 XSDs. Prints every failed
rule (fatal and warnings) per document; the exit status is 1 when a fatal rule or the XSD fails.

A Schematron file is compiled here into XSLT 3 (the Peppol one uses only patterns, rules, asserts,
lets and XSLT functions), then run with Saxon (saxonche), as the compiled CEN one is.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SCH = "http://purl.oclc.org/dsdl/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
SVRL = "http://purl.oclc.org/dsdl/svrl"


def compile_schematron(sch_path: Path) -> bytes:
    """An XSLT 3 stylesheet writing SVRL failed-asserts for a Schematron schema (no phases,
    abstract patterns or includes): each pattern a mode, its rules templates in document order
    (a node fires the first rule that matches it), global lets as variables."""
    schema = etree.parse(str(sch_path)).getroot()
    nsmap = {"xsl": XSL, "svrl": SVRL, "xs": "http://www.w3.org/2001/XMLSchema"}
    for ns in schema.iter(f"{{{SCH}}}ns"):
        nsmap[ns.get("prefix")] = ns.get("uri")
    for prefix, uri in schema.nsmap.items():
        if prefix and uri not in (SCH,):
            nsmap.setdefault(prefix, uri)
    out = etree.Element(f"{{{XSL}}}stylesheet", nsmap=nsmap, version="3.0")
    for child in schema:
        if child.tag == f"{{{SCH}}}let":
            etree.SubElement(out, f"{{{XSL}}}variable", name=child.get("name"), select=child.get("value"))
        elif isinstance(child.tag, str) and child.tag.startswith(f"{{{XSL}}}"):
            out.append(_copy(child))
    patterns = schema.findall(f"{{{SCH}}}pattern")
    main = etree.SubElement(out, f"{{{XSL}}}template", match="/")
    report = etree.SubElement(main, f"{{{SVRL}}}schematron-output")
    for i, pattern in enumerate(patterns):
        mode = f"pattern{i}"
        etree.SubElement(out, f"{{{XSL}}}mode", name=mode, **{"on-no-match": "shallow-skip"})
        etree.SubElement(report, f"{{{XSL}}}apply-templates", select="/", mode=mode)
        for let in pattern.findall(f"{{{SCH}}}let"):
            etree.SubElement(out, f"{{{XSL}}}variable", name=let.get("name"), select=let.get("value"))
        rules = pattern.findall(f"{{{SCH}}}rule")
        for j, rule in enumerate(rules):
            template = etree.SubElement(
                out, f"{{{XSL}}}template", match=rule.get("context"), mode=mode, priority=str(len(rules) - j)
            )
            for part in rule:
                if part.tag == f"{{{SCH}}}let":
                    etree.SubElement(
                        template, f"{{{XSL}}}variable", name=part.get("name"), select=part.get("value")
                    )
                elif part.tag in (f"{{{SCH}}}assert", f"{{{SCH}}}report"):
                    test = part.get("test")
                    condition = f"not({test})" if part.tag == f"{{{SCH}}}assert" else f"({test})"
                    when = etree.SubElement(template, f"{{{XSL}}}if", test=condition)
                    failed = etree.SubElement(
                        when,
                        f"{{{SVRL}}}failed-assert",
                        id=part.get("id") or "",
                        flag=part.get("flag") or "fatal",
                        test=test,
                    )
                    location = etree.SubElement(failed, f"{{{XSL}}}attribute", name="location")
                    etree.SubElement(location, f"{{{XSL}}}value-of", select="path()")
                    text = etree.SubElement(failed, f"{{{SVRL}}}text")
                    text.text = " ".join("".join(part.itertext()).split())
            etree.SubElement(template, f"{{{XSL}}}apply-templates", select="@*|node()", mode=mode)
    return bytes(etree.tostring(out, xml_declaration=True, encoding="UTF-8"))


def _copy(element: etree._Element) -> etree._Element:
    copy = etree.fromstring(etree.tostring(element))
    for node in copy.iter():
        if isinstance(node, etree._Comment):
            node.getparent().remove(node)
    return copy


class Rules:
    def __init__(self, processor: object, path: Path) -> None:
        xslt = processor.new_xslt30_processor()  # type: ignore[attr-defined]
        if path.suffix == ".sch":
            self.executable = xslt.compile_stylesheet(stylesheet_text=compile_schematron(path).decode())
        else:
            self.executable = xslt.compile_stylesheet(stylesheet_file=str(path))

    def failures(self, document: Path) -> list[tuple[str, str, str, str]]:
        result = self.executable.transform_to_string(source_file=str(document))
        report = etree.fromstring(result.encode())
        return [
            (
                failed.get("flag") or "fatal",
                failed.get("id") or "",
                " ".join((failed.findtext(f"{{{SVRL}}}text") or "").split()),
                failed.get("location") or "",
            )
            for failed in report.iter(f"{{{SVRL}}}failed-assert")
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cen", type=Path, help="EN16931-UBL-validation.xslt")
    parser.add_argument("peppol", type=Path, help="PEPPOL-EN16931-UBL.sch (or a compiled .xslt)")
    parser.add_argument("--out", type=Path, default=Path("var/einvoice-samples"), help="where to write them")
    args = parser.parse_args()

    from saxonche import PySaxonProcessor

    from src.billing.services import ubl
    from src.settings import Settings, override_settings
    from tests.billing import einvoice_samples
    from tests.billing.test_ubl import schema_errors

    override_settings(einvoice_samples.vendor_settings(Settings()))
    processor = PySaxonProcessor(license=False)
    rule_sets = {"CEN EN 16931": Rules(processor, args.cen), "Peppol BIS 3.0": Rules(processor, args.peppol)}
    args.out.mkdir(parents=True, exist_ok=True)
    fatal = 0
    for sample in einvoice_samples.SAMPLES:
        name, invoice, lines, pdf = sample()
        data = ubl.render(invoice, lines, pdf)
        path = args.out / f"{name}.xml"
        path.write_bytes(data)
        print(f"{name} ({invoice['kind']}, {path}):")
        xsd = schema_errors(data)
        fatal += len(xsd)
        print(f"  UBL 2.1 XSD: {'valid' if not xsd else '; '.join(xsd)}")
        for label, rules in rule_sets.items():
            failures = rules.failures(path)
            errors = sum(1 for f in failures if f[0] == "fatal")
            fatal += errors
            print(f"  {label}: {errors} fatal, {len(failures) - errors} warnings")
            for flag, rule, text, location in failures:
                print(f"    {flag} {rule}: {text} [{location}]")
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
