"""The youth register's pages, as a clerk uses them: find the person by a Hong Kong document,
register them (a refusal shown at its field, nothing saved), see them in the list and its export,
change their status, record the withdrawal of consent (asked in a dialog first) and see the
personal details withheld from then on."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.subsidies.programs.sync import sync_catalogue
from tests.accounts.support import field_error
from tests.hkmo.support import PENGJIANG, born_years_ago, hk_person
from tests.registry.support import home_return_permit, unit_id
from tests.subsidies.pages_support import browser, enterprise, post_from, version_on

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None) -> Any:
    from renshe.web.app import create_app

    await sync_catalogue()
    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def clerk(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app, PENGJIANG, Role.CLERK) as (client, _user):
        yield client


async def fetch_uscc(enterprise_id: UUID) -> str:
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        return str(
            await current_transaction().connection.fetchval(
                "SELECT uscc FROM enterprises WHERE id = $1", enterprise_id
            )
        )


FORM = {
    "status": "founder", "reached_via": "campus_event", "school": "澳门大学", "graduated_on": "2024-06-30",
    "incubation_base": "珠西先进产业优秀人才创新创业园", "consent": "1",
}  # fmt: skip


async def test_a_clerk_finds_registers_and_follows_a_youth(clerk: httpx.AsyncClient) -> None:
    permit = home_return_permit()
    person = await hk_person(documents=[("home_return_permit", permit)], name="何超琼")
    found = await post_from(
        clerk, "/hkmo/youth/new", "/hkmo/youth/new/find", {"doc_type": "home_return_permit", "number": permit}
    )
    assert found.status_code == 303 and found.headers["location"] == f"/hkmo/youth/new?person_id={person}"
    form_page = await clerk.get(found.headers["location"])
    assert "何*琼" in form_page.text and "何超琼" not in form_page.text

    bad_uscc = await post_from(
        clerk, found.headers["location"], "/hkmo/youth/new",
        {**FORM, "person_id": str(person), "enterprise_uscc": "91440703MA00000000"},
    )  # fmt: skip
    assert bad_uscc.status_code == 422 and field_error(bad_uscc.text, "f-enterprise_uscc")
    no_consent = await post_from(
        clerk, found.headers["location"], "/hkmo/youth/new", {**FORM, "person_id": str(person), "consent": ""}
    )
    assert no_consent.status_code == 422
    assert "本人同意" in field_error(no_consent.text, "f-consent")
    company = await enterprise(PENGJIANG, name="江门市港青创科技有限公司")
    made = await post_from(
        clerk, found.headers["location"], "/hkmo/youth/new",
        {**FORM, "person_id": str(person), "enterprise_uscc": await fetch_uscc(company)},
    )  # fmt: skip
    assert made.status_code == 303, made.text
    youth_url = made.headers["location"]
    page = await clerk.get(youth_url)
    assert page.status_code == 200 and "已登记该港澳青年" in page.text
    assert "澳门大学" in page.text and "创业" in page.text and 'data-consent="given"' in page.text
    assert f'href="/registry/enterprises/{company}">江门市港青创科技有限公司</a>' in page.text

    listed = await clerk.get("/hkmo/youth", params={"status": "founder"})
    assert youth_url.rsplit("/", 1)[1] in listed.text
    export = await clerk.get("/hkmo/youth/export", params={"status": "founder", "format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["姓名", "状态", "毕业院校"] and ["何*琼", "创办人", "澳门大学"] in [
        r[:3] for r in rows
    ]
    assert "何超琼" not in export.text

    changed = await post_from(
        clerk, youth_url, f"{youth_url}/status",
        {"version": version_on(page.text), "status": "employed", "comment": "入职横琴某公司"},
    )  # fmt: skip
    assert changed.status_code == 303
    page = await clerk.get(youth_url)
    assert (
        re.findall(r'data-kind="(\w+)"', page.text) == ["registered", "status"]
        and "入职横琴某公司" in page.text
    )

    withdrawn = await post_from(
        clerk, youth_url, f"{youth_url}/withdraw-consent", {"version": version_on(page.text)}
    )
    assert withdrawn.status_code == 303
    page = await clerk.get(youth_url)
    assert (
        'data-consent="withdrawn"' in page.text and "澳门大学" not in page.text and "何*琼" not in page.text
    )
    assert 'id="status-form"' not in page.text  # nothing more to change
    export = await clerk.get("/hkmo/youth/export", params={"format": "csv"})
    assert "澳门大学" not in export.content.decode("utf-8-sig")


async def test_an_over_age_person_is_refused_at_the_person_and_nothing_is_saved(
    clerk: httpx.AsyncClient,
) -> None:
    person = await hk_person(born=born_years_ago(50))
    page = f"/hkmo/youth/new?person_id={person}"
    refused = await post_from(clerk, page, "/hkmo/youth/new", {**FORM, "person_id": str(person)})
    assert refused.status_code == 422 and "现年50岁" in refused.text and 'id="person-refused"' in refused.text
    listed = await clerk.get("/hkmo/youth")
    assert str(person) not in listed.text
