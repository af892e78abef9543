"""A city administrator under supervision (督查) of one district, for the tests that need a city
user to read people."""

from __future__ import annotations

import httpx

from renshe.accounts import tokens
from renshe.accounts.authentication import Origin, actor_for
from renshe.accounts.principal import Principal, Role
from renshe.settings import get_settings
from renshe.supervision import service
from tests.accounts.support import page_csrf, signed_in
from tests.registry.support import principal, unit_id

CITY = "440700"
REASON = "督查测试：核对发放记录"


async def supervisor(district: str, hours: int = 1) -> tuple[Principal, dict[str, str]]:
    """A new city administrator holding a live grant for ``district``, and their bearer headers."""
    p = await principal(CITY, Role.CITY_ADMIN)
    await service.ask(p, actor_for(p, Origin()), await unit_id(district), REASON, hours)
    token, _ = await tokens.issue(get_settings(), p, Origin())
    return p, {"Authorization": f"Bearer {token}"}


async def supervising_browser(client: httpx.AsyncClient, district: str) -> None:
    """Sign ``client`` in as a new city administrator and ask for ``district`` on the page."""
    await signed_in(client, CITY, Role.CITY_ADMIN)
    token = await page_csrf(client, "/supervision")
    answer = await client.post(
        "/supervision",
        data={"_csrf": token, "district": str(await unit_id(district)), "reason": REASON, "hours": "1"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
