"""Flash messages (renshe.web.flash): after an action the next page says what happened, once; a
reload does not say it again, and no other session — of another user or of the same user in
another browser — ever sees it. Driven through the real admin pages and the real session store."""

from __future__ import annotations

import re

from renshe.accounts.principal import Role
from tests.accounts.support import code_at, login, make_user, new_client, post_form, signed_in

DEACTIVATED = "该用户已停用。"
FLASH_RE = re.compile(r'data-flash="success"[^>]*>([^<]*)<')


def flashes(html: str) -> list[str]:
    return FLASH_RE.findall(html)


async def test_a_flash_is_shown_once_to_its_own_session_only(client, app):
    admin_id, admin_name, secret = await make_user("440703", Role.DISTRICT_ADMIN)
    assert secret is not None
    assert (await login(client, admin_name, totp=code_at(secret))).status_code == 303
    user_id, _, _ = await make_user("440703", Role.CLERK)
    page = f"/admin/users/{user_id}"
    async with new_client(app) as other_browser, new_client(app) as other_user:
        # the same admin in a second browser, and another admin of the same district
        assert (await login(other_browser, admin_name, totp=code_at(secret, 1))).status_code == 303
        await signed_in(other_user, "440703", Role.DISTRICT_ADMIN)

        answer = await post_form(client, f"{page}/deactivate", from_page=page)
        assert answer.status_code == 303
        assert answer.headers["location"] == page  # no ?done= left to reappear on reload

        assert flashes((await other_browser.get(page)).text) == []
        assert flashes((await other_user.get(page)).text) == []
        assert flashes((await client.get(page)).text) == [DEACTIVATED]
        assert flashes((await client.get(page)).text) == []  # the reload
    assert admin_id != user_id


async def test_fragments_and_posts_leave_the_message_for_the_next_page(client):
    await signed_in(client, "440703", Role.DISTRICT_ADMIN)
    user_id, _, _ = await make_user("440703", Role.CLERK)
    page = f"/admin/users/{user_id}"
    assert (await post_form(client, f"{page}/deactivate", from_page=page)).status_code == 303
    htmx = await client.get(page, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and flashes(htmx.text) == []
    assert flashes((await client.get(page)).text) == [DEACTIVATED]


async def test_the_message_is_in_the_readers_language(client):
    await signed_in(client, "440703", Role.DISTRICT_ADMIN)
    user_id, _, _ = await make_user("440703", Role.CLERK)
    page = f"/admin/users/{user_id}"
    assert (await post_form(client, f"{page}/deactivate", from_page=page)).status_code == 303
    client.cookies.set("lang", "en", domain="testserver.local")
    assert flashes((await client.get(page)).text) == ["The user has been deactivated."]


async def test_a_password_change_says_so_on_the_fresh_session(client):
    await signed_in(client, "440703", Role.CLERK)
    answer = await post_form(
        client,
        "/account/password",
        {
            "current_password": "Correct-Horse-42",
            "new_password": "Brand-New-Pass-9",
            "repeat_password": "Brand-New-Pass-9",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert flashes((await client.get("/")).text) == ["密码已修改。"]
    assert flashes((await client.get("/")).text) == []
