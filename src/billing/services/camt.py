"""Bank statements in ISO 20022 camt.053 (BankToCustomerStatement), as banks export them.

`parse` reads a statement into its account, its identity and its booked credit transactions;
what it does not need (debits, pending entries, balances) it leaves. Every version in use is read
(camt.053.001.02 up to .13: the elements used here kept their names; from .08 on a party's name
sits one level deeper, under `Pty`), by local element names, so a bank's namespace prefix or
version does not matter.

One entry may book several transactions (a batch booking); each transaction is one payment,
with its own amount when the bank gives one. A transaction's reference is its structured
creditor reference (`RmtInf/Strd/CdtrRefInf/Ref`, where an RF reference travels), else the first
RF reference found in its unstructured remittance text. Each transaction has a `key` that is the
same whenever the same statement is read again: the bank's own reference of the transaction or
entry, else the statement's identity with the entry's and transaction's positions, so importing
a statement twice records nothing twice.

The XML is parsed without DTDs, entities or network access (a statement is uploaded by a person,
and its size is limited), so a hostile file cannot read files or blow up in memory.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree
from stdnum import iso11649

from src.core.errors import InputError
from src.core.i18n import _

MAX_BYTES = 5 * 1024 * 1024
RF_START = re.compile(r"RF\d{2}")


@dataclass(frozen=True)
class Credit:
    """One payment received: a booked credit transaction."""

    key: str
    amount_cents: int
    currency: str
    booked_on: dt.date
    reference: str | None
    text: str
    payer_name: str
    payer_iban: str


@dataclass(frozen=True)
class Statement:
    identity: str
    iban: str
    created_at: str
    credits: list[Credit] = field(default_factory=list)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _child(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element at this path of local names, or None."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if isinstance(c.tag, str) and _local(c) == name), None)
    return element


def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    if element is None:
        return []
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def _text(element: etree._Element | None, *path: str) -> str:
    found = _child(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _refused(message: str) -> InputError:
    return InputError({"statement": message})


def _xml(data: bytes) -> etree._Element:
    if not data.strip():
        raise _refused(_("The bank statement is empty."))
    if len(data) > MAX_BYTES:
        raise _refused(_("The bank statement is larger than 5 MB; split it into days."))
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise _refused(_("The bank statement is not readable XML.")) from None
    if root.getroottree().docinfo.doctype:
        raise _refused(_("The bank statement is not readable XML."))
    return root


def _cents(element: etree._Element | None) -> tuple[int, str] | None:
    if element is None or not (element.text or "").strip():
        return None
    try:
        amount = Decimal(element.text.strip())
    except InvalidOperation:
        return None
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100), (element.get("Ccy") or "").upper()


def _date(element: etree._Element | None) -> dt.date | None:
    text = _text(element, "Dt") or _text(element, "DtTm")[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _booked(entry: etree._Element) -> bool:
    status = _child(entry, "Sts")
    if status is None:
        return True
    return (_text(status, "Cd") or (status.text or "").strip()) in ("BOOK", "")


def _party_name(party: etree._Element | None) -> str:
    return _text(party, "Nm") or _text(party, "Pty", "Nm")


def _reference(transaction: etree._Element | None) -> tuple[str | None, str]:
    remittance = _child(transaction, "RmtInf")
    text = " ".join((u.text or "").strip() for u in _children(remittance, "Ustrd") if (u.text or "").strip())
    for structured in _children(remittance, "Strd"):
        ref = _text(structured, "CdtrRefInf", "Ref")
        if ref:
            return ref.replace(" ", "").upper(), text
    return _rf_in(text), text


def _rf_in(text: str) -> str | None:
    """The first valid RF reference in a text a payer typed, written with or without spaces
    (its check digits decide where it ends)."""
    upper = text.upper()
    for start in RF_START.finditer(upper):
        tail = re.match(r"[0-9A-Z ]*", upper[start.end() :])
        chars = (tail.group(0) if tail else "").replace(" ", "")[:21]
        for end in range(len(chars), 0, -1):
            candidate = start.group(0) + chars[:end]
            if iso11649.is_valid(candidate):
                return candidate
    return None


def parse(data: bytes) -> Statement:
    """A camt.053 statement's booked credits (InputError naming `statement` when it is not one)."""
    root = _xml(data)
    body = _child(root, "BkToCstmrStmt")
    if _local(root) != "Document" or body is None:
        raise _refused(_("This is not a camt.053 bank statement (BankToCustomerStatement)."))
    statements = _children(body, "Stmt")
    if not statements:
        raise _refused(_("The bank statement holds no statement."))
    message_id = _text(body, "GrpHdr", "MsgId")
    credits: list[Credit] = []
    identity, iban, created = "", "", _text(body, "GrpHdr", "CreDtTm")
    for s_index, stmt in enumerate(statements):
        stmt_id = _text(stmt, "Id") or f"{message_id}/{s_index}"
        identity = identity or stmt_id
        iban = iban or _text(stmt, "Acct", "Id", "IBAN")
        for e_index, entry in enumerate(_children(stmt, "Ntry")):
            if _text(entry, "CdtDbtInd") != "CRDT" or not _booked(entry):
                continue
            entry_amount = _cents(_child(entry, "Amt"))
            booked_on = _date(_child(entry, "BookgDt")) or _date(_child(entry, "ValDt"))
            if entry_amount is None or booked_on is None:
                raise _refused(
                    _(
                        "Entry %(number)s of the bank statement has no amount or booking date.",
                        number=e_index + 1,
                    )
                )
            entry_ref = _text(entry, "AcctSvcrRef")
            transactions = [t for d in _children(entry, "NtryDtls") for t in _children(d, "TxDtls")]
            for t_index, transaction in enumerate(transactions or [None]):
                amount = _cents(_child(transaction, "Amt")) if transaction is not None else None
                if amount is None:
                    amount = _cents(_child(transaction, "AmtDtls", "TxAmt", "Amt"))
                if amount is None:
                    if len(transactions) > 1:
                        raise _refused(
                            _(
                                "Entry %(number)s of the bank statement books several payments"
                                " without their amounts.",
                                number=e_index + 1,
                            )
                        )
                    amount = entry_amount
                reference, text = _reference(transaction) if transaction is not None else (None, "")
                if transaction is None:
                    text = _text(entry, "AddtlNtryInf")
                tx_ref = _text(transaction, "Refs", "AcctSvcrRef") if transaction is not None else ""
                end_to_end = _text(transaction, "Refs", "EndToEndId") if transaction is not None else ""
                if tx_ref:
                    key = f"bank:{tx_ref}"
                elif entry_ref and len(transactions) <= 1:
                    key = f"bank:{entry_ref}"
                elif entry_ref:
                    key = f"bank:{entry_ref}/{t_index}"
                else:
                    key = f"statement:{stmt_id}/{e_index}/{t_index}"
                if end_to_end and end_to_end != "NOTPROVIDED" and not tx_ref and not entry_ref:
                    key = f"{key}/{end_to_end}"
                debtor = _child(transaction, "RltdPties", "Dbtr")
                credits.append(
                    Credit(
                        key=f"{iban}:{key}",
                        amount_cents=amount[0],
                        currency=amount[1] or entry_amount[1],
                        booked_on=booked_on,
                        reference=reference,
                        text=text,
                        payer_name=_party_name(debtor),
                        payer_iban=_text(transaction, "RltdPties", "DbtrAcct", "Id", "IBAN"),
                    )
                )
    return Statement(identity=identity, iban=iban, created_at=created, credits=credits)
