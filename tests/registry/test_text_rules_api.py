"""The text rule through the API a clerk uses: a name in Extension B, G or with 〇 is registered
and comes back exactly; an invisible character in a name, an address, an enterprise name or an
unmask reason is refused with a Chinese error on that field, and nothing is stored."""

from __future__ import annotations

import httpx
import pytest

from renshe.accounts.principal import Role
from tests.registry.support import api_headers, enterprise_body, person_body

PEOPLE = "/api/v1/people"
INVISIBLE_ZH = "请删除此项中的不可见字符（零宽空格或文字方向控制符）。"


@pytest.mark.parametrize("name", ["𠮷〇明", "王\U00031350", "\U0003134a\u3007", "李\U0002a6df华"])
async def test_a_name_of_rare_ideographs_is_registered_and_kept(client: httpx.AsyncClient, name: str) -> None:
    clerk = await api_headers("440703", Role.CLERK)
    body = person_body(name=name)
    body["bank"]["account_name"] = name
    created = await client.post(PEOPLE, json=body, headers=clerk)
    assert created.status_code == 201, created.text
    shown = await client.post(
        f"{PEOPLE}/{created.json()['id']}/unmask", json={"field": "name", "reason": "核对姓名"}, headers=clerk
    )
    assert shown.json()["value"] == name


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "陈\u200b美玲"),  # zero-width space
        ("name", "陈美玲\u202e"),  # right-to-left override
        ("address", "江门市\u2066蓬江区\u2069"),  # isolates
        ("notes", "\ufeff备注"),
    ],
)
async def test_an_invisible_character_is_refused_on_its_field(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    clerk = await api_headers("440703", Role.CLERK)
    before = await client.get(PEOPLE, headers=clerk, params={"limit": 200})
    answer = await client.post(PEOPLE, json=person_body(**{field: value}), headers=clerk)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert {e["field"]: e["message"] for e in answer.json()["errors"]} == {field: INVISIBLE_ZH}
    after = await client.get(PEOPLE, headers=clerk, params={"limit": 200})
    assert len(after.json()["items"]) == len(before.json()["items"])


async def test_an_enterprise_name_and_an_unmask_reason_with_bidi_controls_are_refused(
    client: httpx.AsyncClient,
) -> None:
    clerk = await api_headers("440703", Role.CLERK)
    refused = await client.post(
        "/api/v1/enterprises", json=enterprise_body(name="江门市\u200f测试有限公司"), headers=clerk
    )
    assert refused.status_code == 422, refused.text
    assert {e["field"] for e in refused.json()["errors"]} == {"name"}
    person = (await client.post(PEOPLE, json=person_body(), headers=clerk)).json()
    unmask = await client.post(
        f"{PEOPLE}/{person['id']}/unmask", json={"field": "mobile", "reason": "核对\u061c信息"}, headers=clerk
    )
    assert unmask.status_code == 422, unmask.text
    assert {e["field"]: e["message"] for e in unmask.json()["errors"]} == {"reason": INVISIBLE_ZH}
