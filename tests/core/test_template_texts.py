"""Texts in templates: translated per request, variables escaped, the translation trusted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from src.core import i18n
from src.core.templating import template_environment


def render(source: str, **context: object) -> str:
    return template_environment().from_string(source).render(**context)


def test_a_name_in_a_translated_sentence_is_escaped_and_the_sentence_translated() -> None:
    token = i18n.current_locale.set("nl")
    try:
        out = render(
            "{{ _('Deactivate %(name)s? They can no longer sign in for this organisation.', name=n) }}",
            n="<script>alert(1)</script>",
        )
    finally:
        i18n.current_locale.reset(token)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<script>" not in out
    assert out.startswith(
        i18n.translations("nl")
        .ugettext("Deactivate %(name)s? They can no longer sign in for this organisation.")
        .split("%")[0]
    )


def test_plural_texts_count_and_percent_signs_stay_literal() -> None:
    assert render("{{ ngettext('%(num)d user', '%(num)d users', 3) }}") == "3 users"
    assert render("{{ ngettext('%(num)d user', '%(num)d users', 1) }}") == "1 user"
    assert render("{{ _('100%% sure') }}") == "100% sure"
    assert render("{{ _('Name') }}") == "Name"


def test_large_counts_are_grouped_as_the_language_writes_them() -> None:
    source = "{{ ngettext('%(num)d organisation', '%(num)d organisations', n) }}"
    written = {}
    for locale in ("nl", "sv", "en"):
        token = i18n.current_locale.set(locale)
        try:
            written[locale] = render(source, n=10000)
            page = render("{{ _('Page %(page)d of %(pages)d', page=2, pages=1400) }}")
        finally:
            i18n.current_locale.reset(token)
        assert page.endswith({"nl": " 1.400", "sv": " 1\xa0400", "en": " 1,400"}[locale]), page
    assert written == {
        "nl": "10.000 organisaties",
        "sv": "10\xa0000 organisationer",
        "en": "10,000 organisations",
    }
    assert render(source, n=999) == "999 organisations"


def test_dates_follow_the_language_of_the_request() -> None:
    day = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
    outs = {}
    for locale in ("nl", "sv", "en"):
        token = i18n.current_locale.set(locale)
        try:
            outs[locale] = render("{{ d | date }}", d=day)
        finally:
            i18n.current_locale.reset(token)
    assert "mrt" in outs["nl"]
    assert "mars" in outs["sv"]
    assert "Mar" in outs["en"]


def test_values_are_escaped_on_output_exactly_as_stock_jinja_escapes_them() -> None:
    from jinja2 import Environment
    from markupsafe import Markup

    class Html:
        def __html__(self) -> str:
            return "<em>trusted</em>"

    source = (
        "<p title='{{ v }}'>{{ v }}</p>{% set b %}[{{ v }}]{% endset %}{{ b }}"
        "{% macro m(x) %}<i>{{ x }}</i>{% endmacro %}{{ m(v) }}{% for i in [v] %}{{ i }}{% endfor %}"
    )
    values = ["<script>\"x\" & 'y'</script>", Markup("<b>safe</b>"), Html(), 42, None, 1.5, ["<a>"]]
    stock = Environment(autoescape=True)
    for value in values:
        assert render(source, v=value) == stock.from_string(source).render(v=value)
    assert "&lt;script&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/script&gt;" in render("{{ v }}", v=values[0])


TEXTS = """<title>{{ _("Users") }} · {{ gettext("Care portal") }}</title>
<p title="{{ _('Your profile') }}">{{ _("100%% sure") }}
{{ _("Page %(page)d of %(pages)d", page=2, pages=3) }}</p>
{% set t = {"name": _("Name"), "status": _("Status")} %}<th>{{ t.name }}</th><th>{{ t["status"] }}</th>
{% trans %}Sign out{% endtrans %}
{% trans %}Signed in as {{ who }}{% endtrans %} {% trans n=12000 %}{{ n }} people{% endtrans %}
{% trans count=2 %}One user{% pluralize %}{{ count }} users{% endtrans %}
{{ _("Deactivate %(name)s? They can no longer sign in for this organisation.", name=who) }}"""


def test_each_language_compiles_its_own_texts_and_renders_what_translating_per_render_gives() -> None:
    env = template_environment()
    seen = set()
    for locale in i18n.LOCALES:
        token = i18n.current_locale.set(locale)
        try:
            per_render = env.from_string(TEXTS).render(who="<b>Ann</b>")
            compiled = env.for_locale(locale).from_string(TEXTS).render(who="<b>Ann</b>")
            grouped = i18n.format_count(12000)
            page = env.get_template("core/base.html").render(
                request={"url": {"path": "/"}}, csrf_token=lambda: "t", languages=[]
            )
        finally:
            i18n.current_locale.reset(token)
        assert compiled == per_render
        assert "&lt;b&gt;Ann&lt;/b&gt;" in compiled
        assert "2 users" in compiled
        assert f"{grouped} people" in compiled
        name = i18n.translations(locale).ugettext("Care portal")
        assert f"<title>{name} · {name}</title>" in page
        seen.add(page)
    # The same template name answers each language's own compilation.
    assert len(seen) == len(i18n.LOCALES)


def test_values_filled_into_a_text_are_escaped_exactly_as_markupsafe_fills_them() -> None:
    from markupsafe import Markup

    from src.core.templating import _fill

    class Html:
        def __html__(self) -> str:
            return "<em>trusted</em>"

    text = "<b>%(v)s</b> %(n)d%% of %(f).1f"
    for value in ("<script>'&\"", Markup("<i>ok</i>"), Html(), None, 7, 2.5, True, ["<x>"], ""):
        expected = Markup(text) % {"v": value, "n": 42, "f": 0.25}
        assert _fill(text, v=value, n=42, f=0.25) == expected
        assert isinstance(_fill(text, v=value, n=42, f=0.25), Markup)
    # A number markupsafe reads through its helper, and a whole number written in groups.
    assert _fill(text, v="<", n=Decimal("7"), f=Decimal("0.5")) == "<b>&lt;</b> 7% of 0.5"
    assert _fill("%(n)d <%(v)s>", n=12000, v=Decimal("2")) == "12,000 <2>"


def test_a_template_sees_globals_set_after_it_was_compiled_and_its_own_over_the_environments() -> None:
    env = template_environment()
    own = env.from_string("{{ a }}/{{ b }}", globals={"a": "own"})
    shared = env.from_string("{{ a }}/{{ b }}")
    env.globals.update(a="environment", b="later")
    try:
        assert own.render() == "own/later"
        assert shared.render() == "environment/later"
        assert shared.render(a="given") == "given/later"
    finally:
        del env.globals["a"], env.globals["b"]


def test_globals_given_with_a_template_stay_that_templates_own() -> None:
    from jinja2 import DictLoader

    from src.core.templating import PortalEnvironment

    env = PortalEnvironment(loader=DictLoader({"a.html": "{{ a }}", "b.html": "{{ a }}"}), cache_size=-1)
    env.globals["a"] = "environment"
    assert env.get_template("a.html").render() == "environment"
    assert env.get_template("a.html", globals={"a": "own"}).render() == "own"
    assert env.select_template(["b.html"], globals={"a": "b's own"}).render() == "b's own"
    assert env.from_string("{{ a }}").render() == "environment"
    assert env.globals["a"] == "environment"
    env.globals["a"] = "later"
    assert env.get_template("a.html").render() == "own"
    assert env.from_string("{{ a }}").render() == "later"
