"""A year whose official holiday calendar is not published yet: notice periods fall back to
weekends only (tests/subsidies/test_notice.py), and every administrator who can act on it sees a
warning on every page, never silently. Days are set with the injectable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from tests.accounts.support import new_client, signed_in
from tests.determinism import FrozenClock

pytestmark = pytest.mark.asyncio(loop_scope="session")
WARNING = "节假日安排尚未发布"


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None) -> Any:
    from renshe.web.app import create_app

    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def browsers(app: Any) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    made: dict[str, httpx.AsyncClient] = {}
    for name, code, role in (
        ("district_admin", "440785", Role.DISTRICT_ADMIN),
        ("city_admin", "440700", Role.CITY_ADMIN),
        ("sysadmin", "440700", Role.SYSADMIN),
        ("clerk", "440785", Role.CLERK),
    ):
        made[name] = new_client(app)
        await signed_in(made[name], code, role)
    yield made
    for client in made.values():
        await client.aclose()


async def _page(client: httpx.AsyncClient) -> str:
    answer = await client.get("/", follow_redirects=True)
    assert answer.status_code == 200, answer.status_code
    return answer.text


async def test_administrators_are_warned_in_a_year_without_a_calendar(
    browsers: dict[str, httpx.AsyncClient], clock: FrozenClock
) -> None:
    clock.set(date(2040, 3, 6))
    for name in ("district_admin", "city_admin", "sysadmin"):
        text = await _page(browsers[name])
        assert WARNING in text and "2040" in text, name
    assert WARNING not in await _page(browsers["clerk"])  # nothing a clerk can do about it


async def test_the_coming_year_is_announced_before_windows_reach_it(
    browsers: dict[str, httpx.AsyncClient], clock: FrozenClock
) -> None:
    clock.set(date(2039, 12, 20))  # a notice approved now ends in 2040
    assert "2040" in await _page(browsers["district_admin"])


async def test_no_warning_while_the_calendar_is_published(
    browsers: dict[str, httpx.AsyncClient], clock: FrozenClock
) -> None:
    clock.set(date(2026, 3, 10))
    assert WARNING not in await _page(browsers["district_admin"])
