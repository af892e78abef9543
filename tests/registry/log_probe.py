"""Run by ``test_encryption_at_rest``: registers, duplicates, fails, looks up and unmasks a person
through the real application with DEBUG logging, then prints (on stdout, last line) the numbers
it used, so the test can search everything logged (stderr) for them."""

from __future__ import annotations

import asyncio
import json

from renshe.accounts.principal import Role
from renshe.db import engine
from renshe.logging import configure_logging
from renshe.settings import get_settings
from tests.registry.support import api_headers, client, hkid, mobile, person_body, prc_id


async def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    await engine.start(settings, min_size=1, max_size=2)
    from renshe.web.app import create_app

    app = create_app()
    number, phone, card = prc_id("440785"), mobile(), hkid()
    body = person_body(documents=[{"type": "prc_id", "number": number}], mobile=phone)
    statuses = []
    async with client(app) as http:
        clerk = await api_headers("440785", Role.CLERK)
        made = await http.post("/api/v1/people", json=body, headers=clerk)
        statuses.append(made.status_code)
        statuses.append((await http.post("/api/v1/people", json=body, headers=clerk)).status_code)
        broken = body | {
            "documents": [{"type": "prc_id", "number": number[:-1] + "Z"}],
            "mobile": "12" + phone[2:],
        }
        statuses.append((await http.post("/api/v1/people", json=broken, headers=clerk)).status_code)
        for doc_type, value in (("prc_id", number), ("hkid", card)):
            answer = await http.post(
                "/api/v1/people/lookup", json={"type": doc_type, "number": value}, headers=clerk
            )
            statuses.append(answer.status_code)
        unmask = await http.post(
            f"/api/v1/people/{made.json()['id']}/unmask",
            json={"field": "documents", "reason": "核对证件"},
            headers=clerk,
        )
        statuses.append(unmask.status_code)
    await engine.close()
    secrets = [number, phone, card, body["bank"]["account_number"], number[6:14] + number[14:]]
    print(json.dumps({"statuses": statuses, "secrets": secrets}))


if __name__ == "__main__":
    asyncio.run(main())
