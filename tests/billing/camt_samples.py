"""camt.053 bank statements as banks write them, for the import tests."""

from __future__ import annotations

from collections.abc import Iterable

V02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
V08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
VENDOR_IBAN = "NL91ABNA0417164300"


def transaction(
    amount: str | None = None,
    reference: str | None = None,
    text: str = "",
    name: str = "Zorggroep Noord B.V.",
    bank_ref: str = "",
    version: str = V02,
) -> str:
    debtor = f"<Pty><Nm>{name}</Nm></Pty>" if version == V08 else f"<Nm>{name}</Nm>"
    parts = ["<TxDtls>"]
    if bank_ref:
        parts.append(
            f"<Refs><AcctSvcrRef>{bank_ref}</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        )
    if amount:
        parts.append(f'<Amt Ccy="EUR">{amount}</Amt>')
    parts.append(
        f"<RltdPties><Dbtr>{debtor}</Dbtr><DbtrAcct><Id><IBAN>NL02RABO0123456789</IBAN></Id></DbtrAcct></RltdPties>"
    )
    remittance = ""
    if reference:
        remittance += (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{reference}</Ref></CdtrRefInf></Strd>"
        )
    if text:
        remittance += f"<Ustrd>{text}</Ustrd>"
    if remittance:
        parts.append(f"<RmtInf>{remittance}</RmtInf>")
    parts.append("</TxDtls>")
    return "".join(parts)


def entry(
    amount: str,
    transactions: Iterable[str] = (),
    credit: bool = True,
    booked: str = "2027-03-05",
    status: str = "BOOK",
    bank_ref: str = "",
    version: str = V02,
) -> str:
    sts = f"<Sts><Cd>{status}</Cd></Sts>" if version == V08 else f"<Sts>{status}</Sts>"
    details = "".join(transactions)
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>{sts}'
        f"<BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt>"
        + (f"<AcctSvcrRef>{bank_ref}</AcctSvcrRef>" if bank_ref else "")
        + "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        + (f"<NtryDtls>{details}</NtryDtls>" if details else "")
        + "</Ntry>"
    )


def statement(
    entries: Iterable[str], identity: str = "STMT-2027-03-05", version: str = V02, iban: str = VENDOR_IBAN
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{version}"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2027-03-06T06:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{identity}</Id><CreDtTm>2027-03-06T06:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2027-03-05</Dt></Dt></Bal>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()
