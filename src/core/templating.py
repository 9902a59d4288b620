"""The Jinja environment of every page, partial and PDF: templates from src/<domain>/templates,
autoescaping on, texts through the request's catalogue.

Output is escaped by Jinja's own autoescaping; what differs from a stock Environment goes
through Jinja's public extension points only:
- `row.field` on a dict (a query row) is a key lookup first, not a failed attribute access
  (`Environment.getattr`);
- a template's globals are the environment's dict itself unless it has globals of its own
  (`Environment.make_globals`), and loaded templates stay in a plain dict (`cache_size=-1`);
- `_()`/`ngettext()` skip Jinja's per-call wrapper (globals of our own, answering what Jinja's
  "newstyle" gettext answers: the translation trusted, the values escaped);
- each language has its templates compiled on their own (`LocalisedEnvironment`): a text
  without variables, `{{ _("Users") }}`, is translated once when the template is compiled, by the
  same function that would translate it on every render, and becomes part of the static text; a
  text with variables is translated then too, and only its values are filled in per render
  (`TranslatedOnce`, a `jinja2.ext.Extension` rewriting the template's tokens).
`get_template` picks the current language's templates; `from_string` translates as it renders.

jinja2 and markupsafe are pinned (pyproject.toml): tests/core/test_template_escaping.py says
what to re-check when either changes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import markupsafe
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, Template, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import (
    TOKEN_COMMA,
    TOKEN_DOT,
    TOKEN_LBRACE,
    TOKEN_LBRACKET,
    TOKEN_LPAREN,
    TOKEN_NAME,
    TOKEN_PIPE,
    TOKEN_RBRACE,
    TOKEN_RBRACKET,
    TOKEN_RPAREN,
    TOKEN_STRING,
    Token,
    TokenStream,
)
from markupsafe import Markup

from src.core import i18n
from src.settings import get_settings

SRC = Path(__file__).resolve().parents[1]
DOMAINS = (
    "core",
    "identity",
    "tenants",
    "subscriptions",
    "certificates",
    "billing",
    "connected",
    "dashboard",
)

_OPENING = (TOKEN_LPAREN, TOKEN_LBRACKET, TOKEN_LBRACE)
_CLOSING = (TOKEN_RPAREN, TOKEN_RBRACKET, TOKEN_RBRACE)
# `_("text")` and `_("text", name=...)`: the tokens after the name.
_CALLS_OF_A_LITERAL = ([TOKEN_LPAREN, TOKEN_STRING, TOKEN_RPAREN], [TOKEN_LPAREN, TOKEN_STRING, TOKEN_COMMA])


class TranslatedOnce(Extension):
    """In a language's own environment, `_("text")` and `gettext("text")` (a literal, not an
    attribute such as `x._(...)`) are translated when the template is compiled:
    - without variables, `_("Users")` becomes `("Gebruikers"|safe)`: trusted markup, as the call
      would have answered, which Jinja's compiler folds into the template's static text;
    - with variables, `_("Deactivate %(name)s?", name=u.name)` becomes
      `("Deactiveer %(name)s?"|portal_fill_text(name=u.name))`: the values are escaped and
      filled in on each render (`_fill`), as the call would have done."""

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        locale = getattr(self.environment, "locale", None)
        if locale is None:
            return stream
        return _translated(list(stream), i18n.translations(locale).ugettext)


def _translated(tokens: list[Token], translate: Any) -> Iterator[Token]:
    closing_after: list[int] = []  # the depth after which a rewritten call's extra `)` goes
    depth = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        window = [t.type for t in tokens[i : i + 4]]
        if (
            token.type == TOKEN_NAME
            and token.value in ("_", "gettext")
            and (i == 0 or tokens[i - 1].type != TOKEN_DOT)
            and window[1:]
            in ([TOKEN_LPAREN, TOKEN_STRING, TOKEN_RPAREN], [TOKEN_LPAREN, TOKEN_STRING, TOKEN_COMMA])
        ):
            line = token.lineno
            text = translate(tokens[i + 2].value)
            yield Token(line, TOKEN_LPAREN, "(")
            if window[3] == TOKEN_RPAREN:
                yield Token(line, TOKEN_STRING, str(_fill(text)) if "%" in text else text)  # `%%` is `%`
                yield from (Token(line, TOKEN_PIPE, "|"), Token(line, TOKEN_NAME, "safe"))
                yield Token(line, TOKEN_RPAREN, ")")
            else:
                yield Token(line, TOKEN_STRING, text)
                yield from (Token(line, TOKEN_PIPE, "|"), Token(line, TOKEN_NAME, FILL_FILTER))
                yield Token(line, TOKEN_LPAREN, "(")
                depth += 1  # the filter's arguments: the call's own, up to its `)`
                closing_after.append(depth)
            i += 4
            continue
        yield token
        if token.type in _OPENING:
            depth += 1
        elif token.type in _CLOSING:
            depth -= 1
            if closing_after and closing_after[-1] == depth + 1:
                closing_after.pop()
                yield Token(token.lineno, TOKEN_RPAREN, ")")
        i += 1


class PortalEnvironment(Environment):
    """Jinja with dict keys looked up first (see the module)."""

    # Set on a language's own environment: its texts are translated when a template is compiled.
    locale: str | None = None

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template without globals of its own reads the environment's dict itself, not a
        ChainMap over it: Jinja copies a template's globals into every page's context, reads
        their names for every include and compares them for every `{% from ... import %}`, and
        Python does each of those key by key for a ChainMap (a call, and a KeyError, per name).
        Globals set on the environment later are seen all the same; a template given globals
        of its own gets Jinja's ChainMap, so they stay its own (see `get_template`)."""
        if not d:
            return self.globals
        return super().make_globals(d)

    def get_template(
        self,
        name: str | Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        if globals and not isinstance(name, Template):
            self._own_globals(super().get_template(name, parent))
        return super().get_template(name, parent, globals)

    def select_template(
        self,
        names: Iterable[str | Template],
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        if globals:
            names = list(names)
            self._own_globals(super().select_template(names, parent))
        return super().select_template(names, parent, globals)

    def _own_globals(self, template: Template) -> None:
        """Jinja adds the globals asked for with a template it has loaded already to that
        template's own layer: give it one first, so that they do not reach every template."""
        if template.globals is self.globals:
            template.globals = super().make_globals(None)


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
            values[name] = markupsafe.escape(value)
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
        # Every template stays loaded (a few hundred at most): a plain dict, not Jinja's LRU
        # cache, which takes a lock and reorders a queue on every include, import and extends.
        cache_size=-1,
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n", TranslatedOnce],
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
