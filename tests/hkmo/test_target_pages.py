"""The targets page (目标任务): the city administrator sets the year's targets with each district's
share on a grid and sees progress, projection and money per district; a share that does not add
up or a field that is not a number is refused at its field with nothing saved; the city analyst
reads the same figures without the form; a district's staff see their own district only — and
no page names a person."""

from __future__ import annotations

import re
from typing import Any

import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.subsidies.programs.sync import sync_catalogue
from tests.hkmo.support import PENGJIANG, hk_person, registered
from tests.subsidies.pages_support import browser, post_from

pytestmark = pytest.mark.asyncio(loop_scope="session")
CITY = "440700"
DISTRICTS = ("440703", "440704", "440705", "440781", "440783", "440784", "440785")
YEAR = 2031  # a year of its own: the targets API tests set this year's


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None) -> Any:
    from renshe.web.app import create_app

    await sync_catalogue()
    return create_app()


def _grid(
    youth: int, shares: dict[str, Any], amount_yuan: str = "", amount_shares: dict[str, str] | None = None
) -> dict[str, str]:
    form = {"target.youth_registered": str(youth), "target.amount_paid_fen": amount_yuan}
    form |= {f"share.{code}.youth_registered": str(n) for code, n in shares.items()}
    form |= {f"share.{code}.amount_paid_fen": v for code, v in (amount_shares or {}).items()}
    return form


def _cell(html: str, table: str, row: str, column: str) -> str:
    """The text of one figure of a metric's table (``row``: ``city`` or a district code)."""
    section = html[html.index(f'id="metric-{table}"') :]
    section = section[: section.index("</table>")]
    attribute = 'data-row="city"' if row == "city" else f'data-district="{row}"'
    line = section[section.index(attribute) :]
    match = re.search(rf"data-{column}>([^<]*)<", line)
    assert match, (table, row, column)
    return match.group(1).strip()


async def test_the_city_administrator_sets_the_years_targets_on_the_grid(app: Any) -> None:
    async with browser(app, CITY, Role.CITY_ADMIN) as (page, _user):
        shown = await page.get(f"/hkmo/targets?year={YEAR}")
        assert shown.status_code == 200 and 'id="targets-form"' in shown.text
        shares = dict.fromkeys(DISTRICTS, 10) | {PENGJIANG: 40}  # 100 in all
        amounts = dict.fromkeys(DISTRICTS, "10000") | {PENGJIANG: "10000.50"}
        grid = _grid(100, shares, "70000.50", amounts)
        saved = await post_from(page, f"/hkmo/targets?year={YEAR}", f"/hkmo/targets/{YEAR}", grid)
        assert saved.status_code == 303, saved.text
        html = (await page.get(saved.headers["location"])).text
    assert _cell(html, "youth_registered", "city", "target") == "100"
    assert _cell(html, "youth_registered", PENGJIANG, "target") == "40"
    assert _cell(html, "amount_paid_fen", "city", "target") == "¥70,000.50"
    assert _cell(html, "startups", "city", "target") == "—"  # left empty: no target
    # the grid shows what is stored, the amount in yuan
    assert 'name="share.440703.amount_paid_fen" value="10000.50"' in html


async def test_shares_that_do_not_add_up_and_fields_that_are_not_numbers_are_refused_at_their_field(
    app: Any,
) -> None:
    async with browser(app, CITY, Role.CITY_ADMIN) as (page, _user):
        first = await post_from(page, f"/hkmo/targets?year={YEAR + 1}", f"/hkmo/targets/{YEAR + 1}",
                                _grid(70, dict.fromkeys(DISTRICTS, 10)))  # fmt: skip
        assert first.status_code == 303
        short = await post_from(page, f"/hkmo/targets?year={YEAR + 1}", f"/hkmo/targets/{YEAR + 1}",
                                _grid(80, dict.fromkeys(DISTRICTS, 10)))  # fmt: skip
        assert short.status_code == 422
        assert 'id="f-target-youth_registered-msg"' in short.text and "70" in short.text
        grid = _grid(70, dict.fromkeys(DISTRICTS, 10) | {"440705": "十"}, "1.234")
        words = await post_from(page, f"/hkmo/targets?year={YEAR + 1}", f"/hkmo/targets/{YEAR + 1}", grid)
        assert words.status_code == 422
        assert 'id="f-share-440705-youth_registered-msg"' in words.text
        assert 'id="f-target-amount_paid_fen-msg"' in words.text
        assert 'value="十"' in words.text  # what was typed is shown again
        html = (await page.get(f"/hkmo/targets?year={YEAR + 1}")).text
    assert _cell(html, "youth_registered", "city", "target") == "70"  # nothing of the refused plans saved


async def test_the_analyst_reads_every_district_without_the_form_and_no_page_names_a_person(app: Any) -> None:
    person = await hk_person(PENGJIANG, name="欧阳青禾")
    await registered(PENGJIANG, person_id=person)
    year = clock.today().year
    async with browser(app, CITY, Role.CITY_ANALYST) as (page, _user):
        html = (await page.get(f"/hkmo/targets?year={year}")).text
        refused = await post_from(
            page, "/hkmo/targets", f"/hkmo/targets/{year}", {"target.youth_registered": "1"}
        )
    assert 'id="targets-form"' not in html and 'id="city-balance"' in html
    assert all(f'data-district="{code}"' in html for code in DISTRICTS)
    assert int(_cell(html, "youth_registered", PENGJIANG, "actual")) >= 1
    assert "青禾" not in html and "欧阳" not in html  # neither the name nor its masked form
    assert refused.status_code == 403  # no form, and no right to post one


async def test_a_districts_staff_see_their_own_district_only(app: Any) -> None:
    async with browser(app, PENGJIANG, Role.REVIEWER) as (page, _user):
        html = (await page.get(f"/hkmo/targets?year={YEAR}")).text
        posted = await post_from(page, "/hkmo/targets", f"/hkmo/targets/{YEAR}", {})
    assert f'data-district="{PENGJIANG}"' in html
    assert not [code for code in DISTRICTS if code != PENGJIANG and f'data-district="{code}"' in html]
    assert (
        'data-row="city"' not in html and 'id="targets-form"' not in html and 'id="district-balance"' in html
    )
    assert posted.status_code == 403
