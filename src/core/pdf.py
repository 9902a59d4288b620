"""PDF documents (letters, confirmations, signed agreements) rendered from Jinja templates
with WeasyPrint. Templates live beside the pages: src/<domain>/templates/<domain>/pdf_*.html,
and may extend "core/pdf_base.html"."""

from __future__ import annotations

import asyncio
from typing import Any

from src.core import i18n
from src.core.templating import template_environment


def _environment() -> Any:
    return template_environment()


def render_pdf_sync(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = _environment().get_template(template).render(locale=i18n.current_locale.get(), **context)
    return HTML(string=html).write_pdf()


async def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render in a thread (WeasyPrint is CPU-bound), in the caller's language."""
    locale = i18n.current_locale.get()

    def work() -> bytes:
        token = i18n.current_locale.set(locale)
        try:
            return render_pdf_sync(template, context)
        finally:
            i18n.current_locale.reset(token)

    return await asyncio.to_thread(work)
