import io

from pypdf import PdfReader

from src.core import i18n
from src.core.pdf import render_pdf


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_a_pdf_is_rendered_from_a_template_in_the_readers_language():
    token = i18n.current_locale.set("nl")
    try:
        pdf = await render_pdf("core/pdf_base.html", {})
    finally:
        i18n.current_locale.reset(token)
    assert pdf.startswith(b"%PDF-")
    assert "Zorgportaal" in pdf_text(pdf)
