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
- the globals are read as one dict, not Jinja's ChainMap (`PortalTemplate`).

And each language has its templates compiled on their own (`LocalisedEnvironment`): a text
without variables, `{{ _("Users") }}`, is translated once when the template is compiled, by the
same function that would translate it on every render, and becomes part of the static text; a
text with variables is translated then too, and only its values are filled in per render.
`get_template` picks the current language's templates; `from_string` translates as it renders.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import markupsafe
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, Template, nodes, select_autoescape
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateModule
from jinja2.nodes import Expr
from jinja2.runtime import Context, new_context
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from src.core import i18n
from src.settings import get_settings

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
    def _globals(self) -> Mapping[str, Any]:
        """The template's globals over the environment's, as one dict. Jinja keeps them in a
        ChainMap, which Python iterates key by key (twice for every page, include and import
        rendered); without globals of the template's own, the environment's dict is the answer."""
        maps = self.globals.maps  # type: ignore[attr-defined]
        if len(maps) == 2 and not maps[0]:
            return maps[1]
        merged: dict[str, Any] = {}
        for layer in reversed(maps):
            merged.update(layer)
        return merged

    def new_context(
        self,
        vars: dict[str, Any] | None = None,
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,
    ) -> Context:
        return new_context(self.environment, self.name, self.blocks, vars, shared, self._globals(), locals)  # type: ignore[arg-type]

    def _get_default_module(self, ctx: Context | None = None) -> TemplateModule:
        """Jinja's, with the globals compared as sets in C: Jinja subtracts a dict's keys view
        from a set, which Python does item by item, on every `{% from ... import %}`."""
        if ctx is not None:
            keys = ctx.globals_keys.difference(self._globals())
            if keys:
                return self.make_module({k: ctx.parent[k] for k in keys})
        if self._module is None:
            self._module = self.make_module()
        return self._module


class _TranslatedOnce(NodeTransformer):
    """`_("text")` and `gettext("text")` (a literal) are translated into `locale` when the template
    is compiled. Without variables the text becomes a constant of trusted markup, as the call
    would have answered; with variables (`_("Deactivate %(name)s?", name=u.name)`, and
    `{% trans %}` blocks) only the filling in of the escaped values is left for each render."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        self.generic_visit(node)
        if not (
            isinstance(node.node, nodes.Name)
            and node.node.name in ("_", "gettext")
            and len(node.args) == 1
            and isinstance(node.args[0], nodes.Const)
            and type(node.args[0].value) is str
            and node.dyn_args is None
            and node.dyn_kwargs is None
        ):
            return node
        text = i18n.translations(self.locale).ugettext(node.args[0].value)
        if "%" not in text:
            return nodes.MarkSafe(nodes.Const(text), lineno=node.lineno)
        if not node.kwargs:
            return nodes.MarkSafe(nodes.Const(str(_fill(text))), lineno=node.lineno)  # `%%` read as `%`
        # `_("Deactivate %(name)s?", name=u.name)`: the translation is fixed, only the values are
        # filled in on each render, by a direct call (as a filter is called).
        return nodes.Filter(nodes.Const(text), FILL_FILTER, [], node.kwargs, None, None, lineno=node.lineno)


class PortalEnvironment(Environment):
    """Jinja with dict keys looked up first and plain-string output escaping (see the module)."""

    code_generator_class = _OutputCodeGenerator
    template_class = PortalTemplate
    escape_output = staticmethod(escape_output)
    # Set on a language's own environment: its texts are translated when a template is compiled.
    locale: str | None = None

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if self.locale is not None:
            _TranslatedOnce(self.locale).visit(tree)
            tree.set_environment(self)
        return tree


class LocalisedEnvironment(PortalEnvironment):
    """What pages and documents render with: `get_template` answers the template as compiled
    for the current language. The languages' environments share this one's globals, filters and
    tests, so what Litestar registers (such as `csrf_token`) reaches all of them."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._options = options
        self._languages: dict[str, PortalEnvironment] = {}

    def for_locale(self, locale: str) -> PortalEnvironment:
        env = self._languages.get(locale)
        if env is None:
            env = PortalEnvironment(**self._options)
            env.locale = locale
            env.globals = self.globals
            env.filters = self.filters
            env.tests = self.tests
            env.policies = self.policies
            # How `{% trans %}` compiles: variables passed to our gettext, which fills them in.
            env.newstyle_gettext = self.newstyle_gettext  # type: ignore[attr-defined]
            self._languages[locale] = env
        return env

    def get_template(
        self,
        name: str | Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        if isinstance(name, Template):
            return name
        return self.for_locale(i18n.current_locale.get()).get_template(name, parent, globals)


def _template_gettext(message: str, **variables: Any) -> Markup:
    """Jinja's "newstyle" gettext with autoescaping, without its per-call overhead: the
    translation is trusted markup, the variables are escaped, `%%` is a literal percent sign.
    Whole numbers (`%(n)d`) are written as the language writes them (10.000 in Dutch)."""
    text = i18n.translations(i18n.current_locale.get()).ugettext(message)
    return _fill(text, **variables) if "%" in text else Markup(text)  # noqa: S704 (our catalogues)


def _template_ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
    text = i18n.translations(i18n.current_locale.get()).ungettext(singular, plural, num)
    variables.setdefault("num", num)
    return _fill(text, **variables)


# The filter (`_fill`) that `_("text %(name)s", name=...)` becomes when its translation is fixed
# at compile time.
FILL_FILTER = "portal_fill_text"
_NUMBERS = (int, float, bool)


def _fill(text: str, /, **variables: Any) -> Markup:
    """`text % variables` as markupsafe's `Markup.__mod__` answers it: the text is trusted, each
    value escaped (numbers kept for `%d`), `%%` a percent sign. Whole numbers of 1,000 and more
    are written as the language groups them."""
    values: dict[str, Any] = {}
    for name, value in variables.items():
        kind = type(value)
        if kind is int and not -1000 < value < 1000:
            text = text.replace(f"%({name})d", f"%({name})s")
            values[name] = i18n.format_count(value)
        elif kind in _NUMBERS:
            values[name] = value
        else:
            values[name] = _escape_str(value) if kind is str else markupsafe.escape(value)
    try:
        return Markup(text % values)  # noqa: S704 (our catalogues; values escaped above)
    except TypeError:
        # A value only markupsafe's helper reads as a number (`%d` of a Decimal): let it fill in.
        kept = {name: values[name] if type(value) is int else value for name, value in variables.items()}
        return Markup(text) % kept  # noqa: S704 (our catalogues)


@functools.cache
def template_environment(auto_reload: bool = False) -> LocalisedEnvironment:
    """The templates, compiled once; with auto_reload (debug) each use re-checks the file's time."""
    loaders = [FileSystemLoader(SRC / d / "templates") for d in DOMAINS if (SRC / d / "templates").is_dir()]
    env = LocalisedEnvironment(
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
    env.globals.update(
        gettext=_template_gettext, _=_template_gettext, ngettext=_template_ngettext, settings=get_settings
    )
    env.filters[FILL_FILTER] = _fill
    env.filters["date"] = i18n.format_date
    env.filters["datetime"] = i18n.format_datetime
    env.filters["money"] = i18n.format_money
    return env
