"""Vendored assets: served from /static with long cache headers, nothing from another host."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from renshe.paths import static_dir, templates_dir

URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)
# Hosts that may appear as text without being loaded: none today. (A URL in a comment would
# still be flagged — keep licence texts in separate files, which are not scanned.)
DATA_URI = re.compile(r"""url\(\s*["']?data:[^)]*\)""", re.IGNORECASE)
SCANNED = (".html", ".js", ".css", ".svg")


async def test_htmx_is_vendored_and_cached_long(client: httpx.AsyncClient) -> None:
    answer = await client.get("/static/vendor/htmx.min.js")
    assert answer.status_code == 200
    assert "javascript" in answer.headers["content-type"]
    assert "htmx" in answer.text[:200]
    cache = answer.headers["cache-control"]
    assert "max-age=31536000" in cache and "immutable" in cache
    assert (static_dir() / "vendor" / "htmx.LICENSE").is_file()


async def test_pages_reference_assets_by_content_hash(client: httpx.AsyncClient) -> None:
    page = (await client.get("/docs/api")).text
    for asset in ("vendor/tabler/tabler.min.css", "css/app.css", "vendor/htmx.min.js", "js/app.js"):
        match = re.search(rf'/static/{re.escape(asset)}\?v=([0-9a-f]{{12}})"', page)
        assert match, asset
        served = await client.get(match.group(0).rstrip('"'))
        assert served.status_code == 200
        assert "immutable" in served.headers["cache-control"]


async def test_a_missing_static_file_is_a_404_not_cached(client: httpx.AsyncClient) -> None:
    answer = await client.get("/static/js/nope.js")
    assert answer.status_code == 404
    assert answer.headers["cache-control"] == "no-store"


def _files() -> list[Path]:
    found = [p for p in static_dir().rglob("*") if p.suffix in SCANNED]
    found += [p for p in templates_dir().rglob("*") if p.suffix in SCANNED]
    return found


# XML namespace names: identifiers a script compares with, never fetched (ECharts keeps four).
NAMESPACES = re.compile(r"http://www\.w3\.org/(?:2000/svg|1999/xlink|2000/xmlns/|XML/1998/namespace)")


def _loadable(text: str) -> str:
    """The text without inline data: URIs and XML namespace names: the SVG namespace inside one
    (``xmlns='http://www.w3.org/2000/svg'``, used by Tabler's icons) names a namespace and is
    never fetched."""
    return NAMESPACES.sub("", DATA_URI.sub("", text))


def test_no_template_or_static_file_points_at_another_host() -> None:
    files = _files()
    assert any(p.name == "htmx.min.js" for p in files)
    assert any(p.name == "base.html" for p in files)
    offenders = {
        str(p): URL.findall(_loadable(p.read_text(encoding="utf-8", errors="replace")))
        for p in files
        if URL.search(_loadable(p.read_text(encoding="utf-8", errors="replace")))
    }
    assert not offenders, offenders


def test_no_inline_script_or_style_in_templates() -> None:
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    inline_handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    style = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
    for path in templates_dir().rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not inline_script.search(text), f"inline <script> in {path}"
        assert not inline_handler.search(text), f"inline event handler in {path}"
        assert not style.search(text), f"inline style in {path}"
