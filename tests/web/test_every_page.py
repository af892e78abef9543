"""Every page of every role, in Chromium on a phone (390×844), in Chinese and in English: the
document is never wider than the screen (wide tables scroll inside their own box, the navigation
folds into a menu), and axe-core finds no serious or critical accessibility violation.

axe runs on the Chinese page (the users' language; a third of this test's time was axe): what its
serious and critical rules judge — names, roles, labels, contrast, structure — comes from the same
template and style sheet in both languages. What does differ, the document's ``lang``, is checked
on every page in both; the English pass is there for longer words widening the page.

Which pages: for each role, a user of that role follows the links reachable from the home page
(the crawl of ``tests/web/test_link_crawl.py``, over the demo district's data), one page of each
URL shape — so a page added tomorrow and linked from anywhere is checked without anyone listing it.
axe-core comes from the npm registry, vendored for the tests only (``tests/browser/axe/README``);
it is injected with the page's CSP bypassed, which matters only to the tests' own script.
The module lives with the web tests, after the subsidy tests: the demo district it seeds must not
exist yet when ``tests/subsidies/test_demo_awards.py`` seeds it, nor be built into a batch by the
browser money-path test.

``uv run python -m tests.browser.screenshots`` runs this test with ``RENSHE_SCREENSHOTS`` set:
each role's home page and every other page (once, by the first role that reaches it) are also
saved to ``docs/screenshots/`` at both widths, in Chinese.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.web.request_context import LANG_COOKIE
from tests.accounts.support import signed_in
from tests.browser.test_shell import CHROMIUM, CHROMIUM_ARGS, server
from tests.web.test_link_crawl import DISTRICT, crawl_as, shape, unit_of

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
__all__ = ["server"]

AXE = Path(__file__).resolve().parents[1] / "browser" / "axe" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
LANGUAGES = ("zh_CN", "en")
LANG_ATTRIBUTE = {"zh_CN": "zh-CN", "en": "en"}
GRAVE = ("serious", "critical")
# One page of each shape, and no more than this many shapes per role: the rest are the same
# templates again (a second batch detail, a third application).
PER_ROLE = 30
WIDE = {"width": 1366, "height": 768}
# The innermost elements reaching past the screen's right edge (outside a scrolling box), to name.
OVERFLOWING = """() => {
  const inScroller = e => { for (let p = e.parentElement; p; p = p.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; } return false; };
  const out = [...document.querySelectorAll('body *')].filter(e =>
    e.getBoundingClientRect().right > innerWidth + 1 && !inScroller(e)
    && ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 1));
  return out.slice(0, 12).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + [...e.classList].map(c => '.' + c).join('')).join(', ');
}"""
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
_shot_shapes: set[str] = set()


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", shape(path).replace("{id}", "detail").lower()).strip("-") or "home"


async def _screenshots(page: Any, role: Role, path: str) -> None:
    """Save the page at both widths when screenshots are asked for (see the module's docstring)."""
    if not os.environ.get("RENSHE_SCREENSHOTS"):
        return
    name = f"home-{role.value}" if path == "/" else _slug(path)
    if path != "/" and name in _shot_shapes:
        return
    _shot_shapes.add(name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}-phone.png"))
    await page.set_viewport_size(WIDE)
    await page.screenshot(path=str(SHOTS / f"{name}-wide.png"))
    await page.set_viewport_size(PHONE)


async def _fold_the_rollups() -> None:
    """What the running scheduler would have done by now: the demo district's rollups folded."""
    from renshe.db.tenant import TenantContext, tenant_transaction
    from renshe.rollups import folding
    from tests.registry.support import unit_id

    tenant = await unit_id(DISTRICT)
    async with tenant_transaction(TenantContext.district(tenant)):
        await folding.fold_all(tenant)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pages_by_role(db: None, settings: Any) -> dict[Role, list[str]]:
    """Each role's pages, one per URL shape, found by following links as that role."""
    from renshe.accounts.seed import seed_demo_users
    from renshe.registry.seed import seed_demo_registry
    from renshe.subsidies.demo import seed_demo_subsidies
    from renshe.web.app import create_app

    await seed_demo_users(settings)
    await seed_demo_registry(settings, "small")
    await seed_demo_subsidies((DISTRICT,))
    await _fold_the_rollups()
    app = create_app()
    found: dict[Role, list[str]] = {}
    for role in Role:
        visited, _broken = await crawl_as(app, role)
        shapes: dict[str, str] = {}
        for path in visited:
            if not path.startswith("/api/"):  # the API's schema and JSON are not pages
                shapes.setdefault(shape(path), path)
        found[role] = list(shapes.values())[:PER_ROLE]
    return found


async def _browser_session(server: str, role: Role) -> list[dict[str, Any]]:
    """Cookies of a fresh user of ``role`` signed in on the live server."""
    async with httpx.AsyncClient(base_url=server) as client:
        await signed_in(client, unit_of(role), role)
        return [{"name": c.name, "value": c.value or "", "url": server} for c in client.cookies.jar]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
async def test_every_page_fits_a_phone_and_has_no_serious_accessibility_violation(
    server: str, pages_by_role: dict[Role, list[str]], role: Role
) -> None:
    from playwright.async_api import async_playwright

    paths = pages_by_role[role]
    assert len(paths) > 1, f"{role.value} reaches no page from home"
    axe = AXE.read_text(encoding="utf-8")
    problems: list[str] = []
    cookies = await _browser_session(server, role)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for language in LANGUAGES:
                context = await browser.new_context(viewport=PHONE, bypass_csp=True)
                await context.add_cookies([*cookies, {"name": LANG_COOKIE, "value": language, "url": server}])
                page = await context.new_page()
                for path in paths:
                    answer = await page.goto(server + path)
                    assert answer is not None and answer.ok, f"{path}: {answer and answer.status}"
                    wide = await page.evaluate("document.documentElement.scrollWidth")
                    if wide > PHONE["width"]:
                        culprits = await page.evaluate(OVERFLOWING)
                        problems.append(
                            f"{language} {path}: {wide}px wide on a {PHONE['width']}px phone ({culprits})"
                        )
                    lang = await page.evaluate("document.documentElement.lang")
                    if lang != LANG_ATTRIBUTE[language]:
                        problems.append(f"{language} {path}: <html lang={lang!r}>")
                    if language != "zh_CN":
                        continue
                    await _screenshots(page, role, path)
                    await page.evaluate(axe)
                    result = await page.evaluate(
                        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
                        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
                    )
                    for v in result:
                        if v["impact"] in GRAVE:
                            problems.append(f"{language} {path}: {v['impact']} {v['id']} — {v['help']} "
                                            f"{json.dumps(v['nodes'], ensure_ascii=False)}")  # fmt: skip
                await context.close()
        finally:
            await browser.close()
    assert not problems, "\n".join(problems)
