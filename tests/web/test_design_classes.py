"""Every class a template or static/js/app.js uses is defined by Tabler or app.css (issue 9).

What it sees:
  * the literal tokens of every ``class="..."`` attribute in templates/**/*.html, with Jinja
    expressions and statements cut out (``class="btn {{ x }}"`` gives ``btn``; the literal parts
    around an expression count, ``ui-{{ x }}`` is not a whole token and is skipped);
  * string literals inside a free-standing ``{{ }}`` expression of a class attribute
    (``class="{{ 'btn-danger' if danger else 'btn-primary' }}"``); not those of ``{% if %}``
    conditions (``locale != 'en'``) nor of an expression glued to a token (``alert-{{ x }}``);
  * string values of a ``{% set NAME_classes = {...} %}`` mapping (the status tag colours);
  * ``className = "..."`` and ``classList.add/toggle("...")`` in static/js/app.js.
What it cannot see: classes built from variables at run time (``status-{{ b.status }}``), classes
set from Python, or added by htmx itself (``htmx-request``, which app.css styles anyway).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "src" / "renshe" / "web" / "static"
STYLESHEETS = (STATIC / "vendor" / "tabler" / "tabler.min.css", STATIC / "css" / "app.css")
SCRIPT = STATIC / "js" / "app.js"

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
CLASS_ATTR = re.compile(r"""\sclass=(["'])(.*?)\1""", re.S)
JINJA_EXPR = re.compile(r"(?<![\w-])\{\{(.*?)\}\}(?![\w-])", re.S)
STRING = re.compile(r"""'([^'{}]*)'|"([^"{}]*)\"""")
CLASS_MAP = re.compile(r"\{%-?\s*set\s+\w*_classes\s*=\s*(\{.*?\})\s*-?%\}", re.S)
MAP_VALUE = re.compile(r""":\s*["']([^"']+)["']""")
TOKEN = re.compile(r"^-?[A-Za-z_][\w-]*$")
JS_CLASS = re.compile(r"""className\s*=\s*["']([^"']+)["']|classList\.(?:add|toggle)\(\s*["']([^"']+)["']""")


def defined_classes(css: str) -> set[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"url\([^)]*\)", "", css)
    css = re.sub(r"\"[^\"]*\"|'[^']*'", "", css)
    # Only selectors: the text before each "{" up to the previous "}" / ";" / "{".
    selectors = re.findall(r"(?:^|(?<=[{};]))([^{};]*)\{", css)
    found: set[str] = set()
    for sel in selectors:
        found.update(re.findall(r"\.(-?[A-Za-z_][\w-]*)", sel.replace("\\:", "-")))
    return found


def tokens_in_attribute(value: str) -> set[str]:
    literal = JINJA.sub(" \0 ", value)
    tokens = {t for t in literal.split() if "\0" not in t and TOKEN.match(t)}
    for expr in JINJA_EXPR.finditer(value):
        body = expr.group(1)
        for s in STRING.finditer(body):
            tokens.update(t for t in (s.group(1) or s.group(2) or "").split() if TOKEN.match(t))
    # A token glued to an expression ("ui-{{ x }}" or "{{ x }}-lt") is not a whole class.
    glued = set(re.findall(r"([\w-]+)\{\{|\}\}([\w-]+)", value))
    return tokens - {g for pair in glued for g in pair if g}


def used_classes() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        name = str(path.relative_to(TEMPLATES))
        for attr in CLASS_ATTR.finditer(text):
            used.setdefault(name, set()).update(tokens_in_attribute(attr.group(2)))
        for mapping in CLASS_MAP.finditer(text):
            for value in MAP_VALUE.findall(mapping.group(1)):
                used.setdefault(name, set()).update(value.split())
    for match in JS_CLASS.finditer(SCRIPT.read_text(encoding="utf-8")):
        used.setdefault("static/js/app.js", set()).update((match.group(1) or match.group(2)).split())
    return used


def undefined(used: dict[str, set[str]], defined: set[str]) -> list[str]:
    return [f"{where}: {cls}" for where, classes in used.items() for cls in sorted(classes - defined)]


def test_every_class_a_template_uses_is_defined() -> None:
    defined: set[str] = set()
    for sheet in STYLESHEETS:
        defined |= defined_classes(sheet.read_text(encoding="utf-8"))
    missing = undefined(used_classes(), defined)
    assert not missing, "classes without a style (Tabler or app.css):\n" + "\n".join(missing)


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ('class="btn btn-primary"', {"btn", "btn-primary"}),
        ('class="nav-item{% if current %} active{% endif %}"', {"nav-item", "active"}),
        (
            "class=\"btn {{ 'btn-danger' if danger else 'btn-primary' }}\"",
            {"btn", "btn-danger", "btn-primary"},
        ),
        ('class="status status-{{ b.status }}"', {"status"}),
    ],
)
def test_the_collector_reads_literal_tokens_and_expression_strings(
    attribute: str, expected: set[str]
) -> None:
    value = CLASS_ATTR.search(" " + attribute)
    assert value
    assert tokens_in_attribute(value.group(2)) == expected


def test_the_collector_sees_a_class_only_app_css_would_define() -> None:
    defined = defined_classes(".ui-num { x: 1 } .a:hover, .b > .c::before { y: url(data:a.b) }")
    assert {"ui-num", "a", "b", "c"} <= defined
    assert "b)" not in defined and "ui-missing" not in defined
