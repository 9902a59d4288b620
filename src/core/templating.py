"""The Jinja environment of every page, partial and PDF: templates from src/<domain>/templates,
autoescaping on, texts through the request's catalogue.

Pages of many rows spend most of their time here, so four things differ from a stock
Environment, each keeping Jinja's behaviour:
- `row.field` on a dict (a query row) is a key lookup first, not a failed attribute access;
- `{{ value }}` output is escaped by `escape_output`, which gives the same text as markupsafe's
  `escape` but as a plain string: output is joined into the page (or into a buffer that Jinja
  marks safe as a whole), so a Markup object per value, built by a Python-level constructor,
  was pure overhead;
- `_()`/`ngettext()` skip Jinja's per-call wrapper;
- `{% from ... import %}` compares the globals in C (`PortalTemplate`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import markupsafe
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, Template, select_autoescape
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateModule
from jinja2.nodes import Expr
from jinja2.runtime import Context
from markupsafe import Markup

from src.core import i18n

SRC = Path(__file__).resolve().parents[1]
DOMAINS = ("core", "identity", "tenants", "subscriptions", "certificates", "dashboard")

# markupsafe's C escaping of a str into a str; its public `escape` wraps the same call in Markup.
_escape_str = getattr(markupsafe, "_escape_inner", None) or (lambda text: str(markupsafe.escape(text)))


def escape_output(value: Any) -> str:
    """What `{{ value }}` writes: markupsafe's `escape(value)`, as a str."""
    if type(value) is str:
        return _escape_str(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    return _escape_str(str(value))


class _OutputCodeGenerator(CodeGenerator):
    """Compiles autoescaped output to `environment.escape_output(...)` instead of `escape(...)`.
    Only the static autoescape case changes; `{% autoescape %}` blocks keep Jinja's code."""

    def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("environment.escape_output(")
        if finalize.src is not None:
            self.write(finalize.src)


class PortalTemplate(Template):
    def _get_default_module(self, ctx: Context | None = None) -> TemplateModule:
        """Jinja's, with the globals compared as sets in C: Jinja subtracts a dict's keys view
        from a set, which Python does item by item, on every `{% from ... import %}`."""
        if ctx is not None:
            keys = ctx.globals_keys.difference(self.globals)
            if keys:
                return self.make_module({k: ctx.parent[k] for k in keys})
        if self._module is None:
            self._module = self.make_module()
        return self._module


class PortalEnvironment(Environment):
    """Jinja with dict keys looked up first and plain-string output escaping (see the module)."""

    code_generator_class = _OutputCodeGenerator
    template_class = PortalTemplate
    escape_output = staticmethod(escape_output)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def _template_gettext(message: str, **variables: Any) -> Markup:
    """Jinja's "newstyle" gettext with autoescaping, without its per-call overhead: the
    translation is trusted markup, the variables are escaped, `%%` is a literal percent sign.
    Whole numbers (`%(n)d`) are written as the language writes them (10.000 in Dutch)."""
    text = Markup(i18n.translations(i18n.current_locale.get()).ugettext(message))  # noqa: S704 (our catalogues)
    return _fill(text, variables) if "%" in text else text


def _template_ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
    text = Markup(i18n.translations(i18n.current_locale.get()).ungettext(singular, plural, num))  # noqa: S704
    variables.setdefault("num", num)
    return _fill(text, variables)


def _fill(text: Markup, variables: dict[str, Any]) -> Markup:
    for name, value in variables.items():
        if type(value) is int and not -1000 < value < 1000:
            text = Markup(text.replace(f"%({name})d", f"%({name})s"))  # noqa: S704 (our catalogues)
            variables[name] = i18n.format_count(value)
    return text % variables


@functools.cache
def template_environment(auto_reload: bool = False) -> Environment:
    """The templates, compiled once; with auto_reload (debug) each use re-checks the file's time."""
    loaders = [FileSystemLoader(SRC / d / "templates") for d in DOMAINS if (SRC / d / "templates").is_dir()]
    env = PortalEnvironment(
        loader=ChoiceLoader(loaders),
        auto_reload=auto_reload,
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.gettext(message),
        lambda singular, plural, n: i18n.translations(i18n.current_locale.get()).ungettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.globals.update(gettext=_template_gettext, _=_template_gettext, ngettext=_template_ngettext)
    env.filters["date"] = i18n.format_date
    env.filters["datetime"] = i18n.format_datetime
    env.filters["money"] = i18n.format_money
    return env
