"""No link leads its own user to a 403 (nor a 404 or a server error).

For every role, a user of that role signs in and follows the links of the pages it reaches from
the home page (same-origin GET links; breadth first, a bounded depth and count, at most a few
pages per URL shape so that one list's hundred detail pages do not crowd out the rest). The
district has the demo's data (every application state, batches, imports), so the detail pages
and their actions are there to be linked. Links with a side effect or a file answer (language,
log-out, downloads, exports) are not followed.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from tests.accounts.support import BASE_URL, new_client, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")

DISTRICT = "440781"  # Taishan: demo data seeded below
CITY = "440700"
MAX_DEPTH = 4
MAX_PAGES = 250
PER_SHAPE = 6
# Links not followed: they change something (language cookie) or answer with a file.
SKIP = re.compile(
    r"^/(lang/|logout)|/export|/download|/bank-file|/errors-file|/import-template/|format=|/static/"
)
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BAD = {403, 404} | set(range(500, 600))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_on(page_url: str, html: str) -> list[str]:
    """The same-origin paths (with query) the page links to."""
    parser = _Links()
    parser.feed(html)
    origin = urlsplit(BASE_URL)
    found: list[str] = []
    for href in parser.hrefs:
        url = urlsplit(urldefrag(urljoin(page_url, href))[0])
        if (url.scheme, url.netloc) != (origin.scheme, origin.netloc):
            continue
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def shape(path: str) -> str:
    """A link's shape: ids and query values blanked, so each kind of page is visited a few times."""
    return re.sub(r"=[^&]*", "=", UUID_RE.sub("{id}", path))


async def crawl(client: Any) -> tuple[list[str], list[tuple[str, int, str]]]:
    """(pages visited, broken links as (link, status, the page that offered it))."""
    seen: set[str] = {"/"}
    shapes: Counter[str] = Counter()
    queue: deque[tuple[str, int, str]] = deque([("/", 0, "")])
    visited: list[str] = []
    broken: list[tuple[str, int, str]] = []
    while queue and len(visited) < MAX_PAGES:
        path, depth, source = queue.popleft()
        answer = await client.get(path, follow_redirects=True)
        visited.append(path)
        if answer.status_code in BAD:
            broken.append((path, answer.status_code, source))
            continue
        if depth >= MAX_DEPTH or "text/html" not in answer.headers.get("content-type", ""):
            continue
        for link in links_on(str(answer.url), answer.text):
            if link in seen or SKIP.search(link) or shapes[shape(link)] >= PER_SHAPE:
                continue
            seen.add(link)
            shapes[shape(link)] += 1
            queue.append((link, depth + 1, path))
    return visited, broken


_crawled: dict[Role, tuple[list[str], list[tuple[str, int, str]]]] = {}


def unit_of(role: Role) -> str:
    return DISTRICT if role in (Role.CLERK, Role.REVIEWER, Role.FINANCE, Role.DISTRICT_ADMIN) else CITY


async def crawl_as(app: Any, role: Role) -> tuple[list[str], list[tuple[str, int, str]]]:
    """:func:`crawl` by a new user of ``role``, once per test session: the phone and accessibility
    test (``test_every_page.py``) walks the same pages, over the same seeded data."""
    if role not in _crawled:
        client = new_client(app)
        try:
            await signed_in(client, unit_of(role), role)
            _crawled[role] = await crawl(client)
        finally:
            await client.aclose()
    return _crawled[role]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def crawl_app(db: None, settings: Any) -> Any:
    from renshe.accounts.seed import seed_demo_users
    from renshe.registry.seed import seed_demo_registry
    from renshe.subsidies.demo import seed_demo_subsidies
    from renshe.web.app import create_app

    await seed_demo_users(settings)
    await seed_demo_registry(settings, "small")
    await seed_demo_subsidies((DISTRICT,))
    return create_app()


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
async def test_no_link_leads_its_user_to_an_error(crawl_app: Any, role: Role) -> None:
    visited, broken = await crawl_as(crawl_app, role)
    assert len(visited) > 1, "the home page links nowhere"
    assert not broken, "\n".join(f"{status} {link}  (from {source})" for link, status, source in broken)
