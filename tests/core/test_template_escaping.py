"""Every way a value reaches a page is escaped exactly as Jinja's stock autoescaping escapes it:
the portal's templates (translated as they render, and compiled per language) against a stock
`jinja2.Environment(autoescape=True)` with Jinja's own i18n extension, rendering the same
templates with the same values and the same catalogue."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pytest
from jinja2 import Environment
from markupsafe import Markup

from src.core import i18n
from src.core.templating import template_environment

ROOT = Path(__file__).resolve().parents[2]
DEACTIVATE = "Deactivate %(name)s? They can no longer sign in for this organisation."


class Html:
    """An object that renders itself as trusted markup."""

    def __html__(self) -> str:
        return "<em>trusted</em>"


class Shouting:
    """An object whose text is markup-like but not trusted."""

    def __str__(self) -> str:
        return "<b onclick='x()'>&amp;</b>"


class Text(str):
    pass


VALUES: list[Any] = [
    "<script>alert('x')</script>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)",
    "&amp; &lt;already&gt; &#34;",
    "javascript:alert(1)",
    "</p><img src=x onerror=alert(1)>",
    Text("<s>sub</s>"),
    Markup("<b>safe</b> &amp;"),
    Markup("<b>%s</b>") % "<i>",
    Html(),
    Shouting(),
    None,
    42,
    -7,
    1.5,
    True,
    ["<a>", Markup("<b>")],
    {"k": "<v>"},
]

TEMPLATES = {
    "output": "{{ v }}",
    "attributes": "<a title=\"{{ v }}\" data-x='{{ v }}' href={{ v }}>x</a>",
    "autoescape blocks": (
        "{% autoescape false %}[{{ v }}]{% endautoescape %}{% autoescape true %}[{{ v }}]{% endautoescape %}"
    ),
    "macros": (
        "{% macro m(x) %}<i>{{ x }}</i>{% endmacro %}{{ m(v) }}"
        "{% macro c() %}<u>{{ caller() }}</u>{% endmacro %}{% call c() %}{{ v }}{% endcall %}"
    ),
    "set blocks and loops": "{% set b %}[{{ v }}]{% endset %}{{ b }}{% for i in [v, v] %}{{ i }}{% endfor %}",
    "filters": (
        "{{ v|safe }}|{{ v|e }}|{{ v|string }}|{{ v|lower }}|{{ [v, v]|join(', ') }}|{{ '%s'|format(v) }}"
        "|{{ v|replace('a', '<') }}|{{ v|default('<d>') }}|{{ v|tojson }}"
    ),
    "concatenation": "{{ v ~ '<b>' }}|{{ '<b>' ~ v }}|{{ (v ~ '')|safe }}",
    "Markup made in the template": "{{ ('<b>'|safe) ~ v }}|{{ v|safe ~ '<i>' }}",
    "translated texts": "{{ _('Users') }} {{ _('Users') ~ v }} {{ gettext('Name') }}",
    "translated texts with values": (
        "{{ _('Hello %(name)s', name=v) }}|{{ _(" + repr(DEACTIVATE) + ", name=v) }}"
        "|{{ gettext('Hello %(name)s', name=v)|upper }}|{{ _('%(a)s and %(b)s', a=v, b='<b>') }}"
    ),
    "plural texts with values": "{{ ngettext('%(num)d user of %(o)s', '%(num)d users of %(o)s', 2, o=v) }}",
    "trans blocks": (
        "{% trans %}Users{% endtrans %}|{% trans name=v %}Hello {{ name }}{% endtrans %}"
        "|{% trans count=3, o=v %}One of {{ o }}{% pluralize %}{{ count }} of {{ o }}{% endtrans %}"
    ),
    "translated texts in attributes and macros": (
        '{% macro m(x) %}<i title="{{ x }}">{{ x }}</i>{% endmacro %}'
        "<p title=\"{{ _('Hello %(name)s', name=v) }}\">{{ m(_('Hello %(name)s', name=v)) }}</p>"
    ),
    "a percent sign": "{{ _('100%% sure') }} {{ _('%(n)s%% of %(name)s', n=5, name=v) }}",
}


def stock(locale: str) -> Environment:
    """Jinja as shipped: autoescaping and its i18n extension with "newstyle" gettext, on the
    portal's catalogue for `locale`."""
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    catalogue = i18n.translations(locale)
    env.install_gettext_callables(catalogue.ugettext, catalogue.ungettext, newstyle=True)  # type: ignore[attr-defined]
    return env


@pytest.fixture(params=["en", "nl"])
def locale(request: pytest.FixtureRequest) -> Iterator[str]:
    token = i18n.current_locale.set(request.param)
    yield request.param
    i18n.current_locale.reset(token)


def _rendered(env: Environment, source: str, value: Any) -> str:
    try:
        return env.from_string(source).render(v=value)
    except TypeError as exc:  # `tojson` of what JSON cannot hold
        return f"TypeError: {exc}"


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_way_a_value_reaches_a_page_escapes_exactly_as_stock_jinja(name: str, locale: str) -> None:
    source = TEMPLATES[name]
    portal = template_environment()
    for value in VALUES:
        expected = _rendered(stock(locale), source, value)
        # Translated as the page renders (`from_string`), and compiled for the language (pages).
        assert _rendered(portal, source, value) == expected, (value, source)
        assert _rendered(portal.for_locale(locale), source, value) == expected, (value, source)


def test_script_in_a_translated_text_is_written_as_text(locale: str) -> None:
    page = template_environment().for_locale(locale).from_string(TEMPLATES["translated texts with values"])
    out = page.render(v="<script>alert(1)</script>")
    assert "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_the_templates_use_only_public_extension_points_of_jinja_and_markupsafe() -> None:
    env = template_environment()
    assert env.template_class is jinja2.Template
    assert env.code_generator_class is jinja2.compiler.CodeGenerator
    assert env.context_class is jinja2.runtime.Context
    jinja_bases = (jinja2.Environment, jinja2.Template, jinja2.compiler.CodeGenerator, jinja2.ext.Extension)
    for cls in {type(env), type(env.for_locale("nl")), *map(type, env.extensions.values())}:
        for klass in cls.__mro__:
            if klass.__module__.startswith("src."):
                overridden = [
                    name
                    for name in vars(klass)
                    if name.startswith("_")
                    and not name.startswith("__")
                    and any(hasattr(base, name) for base in jinja_bases)
                ]
                assert not overridden, f"{klass.__name__} overrides Jinja's private {overridden}"
    source = inspect.getsource(importlib.import_module("src.core.templating"))
    assert not re.search(r"markupsafe\._|_escape_inner|jinja2\.compiler|jinja2\.runtime", source)
    assert markupsafe.escape("<") == "&lt;"


def _pinned(package: str) -> str:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (pin,) = [d for d in dependencies if re.fullmatch(rf"{package}==[\w.]+", d, flags=re.I)]
    return pin.split("==")[1]


@pytest.mark.parametrize("package", ["jinja2", "markupsafe"])
def test_jinja_and_markupsafe_are_the_versions_the_escaping_was_checked_against(package: str) -> None:
    assert importlib.metadata.version(package) == _pinned(package), (
        f"{package} changed version. Before changing the pin in pyproject.toml, re-check that "
        "src/core/templating.py still holds with it: `TranslatedOnce` rewrites the lexer's tokens "
        "(names, parentheses, strings, the `|safe` filter) and relies on Jinja folding a constant "
        "`('text'|safe)` into the static text; `_fill` relies on markupsafe's `escape` and "
        "`Markup.__mod__`; `PortalEnvironment.getattr` on Jinja calling it for `a.b`. Read both "
        "changelogs for autoescaping and i18n changes, run this file and tests/core/test_template_texts.py "
        "and compare the pages bench."
    )
