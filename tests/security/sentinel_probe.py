"""Run by ``test_sentinels`` in a subprocess with DEBUG JSON logs: plants the sentinels through
every write path of the real application — the API (person, enterprise, application, batch,
bank return), the pages (person, enterprise, application, review; forms posted with their CSRF
token), a registry import (CSV and XLSX, through the page and its jobs) — then reads back every
masked export, every API answer and the masked pages. Prints, as its last stdout line, a JSON
report: the sentinels and every text read back (``[where, text]``), for the test to scan."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import sys
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

import httpx

from renshe import clock
from renshe.accounts import tokens
from renshe.accounts.authentication import Origin
from renshe.accounts.principal import Role
from renshe.db import engine
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.jobs import runner
from renshe.logging import configure_logging
from renshe.settings import get_settings
from tests.accounts.support import new_client, signed_in
from tests.registry import import_support as imports
from tests.registry.support import (
    api_headers,
    client,
    credit_code,
    luhn_card,
    mobile,
    person_body,
    principal,
    unit_id,
)
from tests.registry.test_pages_people import form_values
from tests.security.sentinel_reads import Probe, read_api, read_finance, read_pages_and_exports
from tests.security.sentinels import AREA, sentinels
from tests.subsidies.applications_support import STARTUP_FEN, budget_room
from tests.subsidies.pages_support import APP_LINK, post_from, version_on

PERSON_PAGE = re.compile(r"/registry/people/([0-9a-f-]{36})")
ENTERPRISE_PAGE = re.compile(r"/registry/enterprises/([0-9a-f-]{36})")
STARTUP = "startup_once"
FACTS = {"returned_overseas_student": True}


async def token_of(code: str, role: Role) -> tuple[dict[str, str], UUID]:
    who = await principal(code, role)
    token, _ = await tokens.issue(get_settings(), who, Origin())
    return {"Authorization": f"Bearer {token}"}, who.user_id


# ---------------------------------------------------------------- write paths


async def api_paths(
    p: Probe, http: httpx.AsyncClient, clerk: dict[str, str], reviewer: dict[str, str]
) -> dict[str, Any]:
    s = p.by_path["api"]
    body = {
        "name": s.name,
        "documents": [{"type": "prc_id", "number": s.number.lower()}],  # lower-case x is accepted
        "mobile": s.mobile,
        "residency": "mainland",
        "bank": {"account_number": s.account, "account_name": s.name, "bank_name": "中国建设银行开平支行"},
    }
    person = p.keep("POST /api/v1/people", await http.post("/api/v1/people", json=body, headers=clerk)).json()
    e = p.by_path["api_enterprise"]
    company = {
        "name": "开平市哨兵科技有限公司",
        "uscc": credit_code(AREA),
        "legal_representative": e.name,
        "registered_on": "2022-05-06",
        # a sole proprietor's account is often in the owner's own name
        "bank": {"account_number": e.account, "account_name": e.name, "bank_name": "中国银行开平支行"},
    }
    made = await http.post("/api/v1/enterprises", json=company, headers=clerk)
    enterprise = p.keep("POST /api/v1/enterprises", made).json()
    draft = {"program_code": STARTUP, "person_id": person["id"], "facts": FACTS}
    app = p.keep(
        "POST /api/v1/applications", await http.post("/api/v1/applications", json=draft, headers=clerk)
    )
    url = f"/api/v1/applications/{app.json()['id']}"
    sent = p.keep(
        "submit", await http.post(f"{url}/submit", json={"version": app.json()["version"]}, headers=clerk)
    )
    approved = await http.post(f"{url}/approve", json={"version": sent.json()["version"]}, headers=reviewer)
    return {"person": person, "enterprise": enterprise, "application": p.keep("approve", approved).json()}


async def edit_paths(p: Probe, http: httpx.AsyncClient, clerk_api: dict[str, str],
                     clerk: httpx.AsyncClient) -> None:  # fmt: skip
    """Registered with the sentinel ID and someone else's name, mobile and account, then edited to
    the sentinel's (the audit record of an edit holds the before and the after)."""
    s = p.by_path["api_edit"]
    body = person_body(documents=[{"type": "prc_id", "number": s.number}])
    made = p.keep(
        "POST /api/v1/people (edit)", await http.post("/api/v1/people", json=body, headers=clerk_api)
    )
    change = {
        "version": made.json()["version"], "name": s.name, "mobile": s.mobile,
        "bank": {"account_number": s.account, "account_name": s.name, "bank_name": "中国建设银行开平支行"},
    }  # fmt: skip
    url = f"/api/v1/people/{made.json()['id']}"
    p.keep("PATCH /api/v1/people/{id}", await http.patch(url, json=change, headers=clerk_api))
    s = p.by_path["page_edit"]
    form = {
        "name": "陈美玲", "doc_type": "prc_id", "doc_number": s.number, "mobile": mobile(),
        "bank.account_number": luhn_card(), "bank.bank_name": "中国农业银行开平支行",
    }  # fmt: skip
    made = await post_from(clerk, "/registry/people/new", "/registry/people/new", form)
    assert made.status_code == 303, made.text[:500]
    match = PERSON_PAGE.search(made.headers["location"])
    assert match
    page = f"/registry/people/{match.group(1)}/edit"
    values = form_values((await clerk.get(page)).text)
    values.update({
        "name": s.name, "mobile": s.mobile, "bank.account_number": s.account, "bank.account_name": s.name,
    })  # fmt: skip
    for unticked in ("_csrf", "remove_mobile", "remove_bank"):  # the checkboxes stay unticked
        values.pop(unticked, None)
    edited = await post_from(clerk, page, page, values)
    assert edited.status_code == 303, edited.text[:800]


async def page_paths(p: Probe, clerk: httpx.AsyncClient, reviewer: httpx.AsyncClient) -> dict[str, Any]:
    s = p.by_path["page"]
    form = {
        "name": s.name, "doc_type": "prc_id", "doc_number": s.number, "mobile": s.mobile,
        "bank.account_number": s.account, "bank.account_name": s.name,
        "bank.bank_name": "中国农业银行开平支行", "address": "开平市长沙街道",
    }  # fmt: skip
    made = await post_from(clerk, "/registry/people/new", "/registry/people/new", form)
    assert made.status_code == 303, made.text[:500]
    match = PERSON_PAGE.search(made.headers["location"])
    assert match
    person_id = match.group(1)
    e = p.by_path["page_enterprise"]
    company = {
        "name": "开平市哨兵页面有限公司", "uscc": credit_code(AREA), "legal_representative": e.name,
        "registered_on": "2023-03-01", "bank.account_number": e.account, "bank.account_name": e.name,
        "bank.bank_name": "中国银行开平支行",
    }  # fmt: skip
    made = await post_from(clerk, "/registry/enterprises/new", "/registry/enterprises/new", company)
    assert made.status_code == 303, made.text[:500]
    match = ENTERPRISE_PAGE.search(made.headers["location"])
    assert match
    enterprise_id = match.group(1)
    # the beneficiary found by its number (a POST), then the application entered, submitted, approved
    found = await post_from(
        clerk, "/subsidies/applications/new", "/subsidies/applications/new/find",
        {"kind": "person", "doc_type": "prc_id", "number": s.number},
    )  # fmt: skip
    assert found.status_code == 303 and person_id in found.headers["location"], found.text[:500]
    new = f"/subsidies/applications/new?person_id={person_id}&program={STARTUP}"
    data = {"person_id": person_id, "program": STARTUP, "facts.returned_overseas_student": "true"}
    made = await post_from(clerk, new, "/subsidies/applications/new", data)
    assert made.status_code == 303, made.text[:500]
    match = APP_LINK.search(made.headers["location"])
    assert match
    app_id = match.group(1)
    detail = f"/subsidies/applications/{app_id}"
    version = version_on((await clerk.get(detail)).text)
    sent = await post_from(clerk, detail, f"{detail}/submit", {"version": version})
    assert sent.status_code == 303, sent.text[:500]
    review = f"/subsidies/review/{app_id}"
    version = version_on((await reviewer.get(review)).text)
    approved = await post_from(
        reviewer, review, f"{review}/approve", {"version": version, "comment": "材料齐全"}
    )
    assert approved.status_code == 303, approved.text[:500]
    return {"person_id": person_id, "enterprise_id": enterprise_id, "application_id": app_id}


async def import_paths(p: Probe, clerk: httpx.AsyncClient, tenant: UUID) -> list[str]:
    batches = []
    for path, build in (("import_csv", imports.csv_bytes), ("import_xlsx", imports.xlsx_bytes)):
        s = p.by_path[path]
        row = imports.person_row(
            s.name,
            "居民身份证",
            s.number,
            s.mobile,
            开户名=s.name,
            银行账号=s.account,
            开户银行="中国工商银行开平支行",
        )
        name = "名单.csv" if path == "import_csv" else "名单.xlsx"
        batch = await imports.upload(clerk, build([row]), filename=name)
        checked = await imports.validate(tenant, batch)
        assert checked["status"] == "valid", checked["report"]
        done = await imports.confirm_and_import(clerk, tenant, batch)
        assert done["status"] == "imported" and done["imported_count"] == 1, done["report"]
        batches.append(str(batch))
    return batches


async def money_path(
    p: Probe, http: httpx.AsyncClient, maker_id: UUID, checker: dict[str, str], tenant: UUID,
    app_ids: list[str], notice_end: date,
) -> tuple[str, str]:  # fmt: skip
    """Build (as the nightly job does, on the day the notices end), approve, download, and upload a
    bank return whose reason and malformed cells echo the payee's values."""
    from renshe.disbursement import tasks

    async with tenant_transaction(TenantContext.district(tenant)):
        job = await tasks.request_build(tenant, maker_id, notice_end)
    assert await runner.run(tenant, job.id, worker="sentinel-probe") == "succeeded"
    listed = p.keep(
        "GET /api/v1/disbursement-batches", await http.get("/api/v1/disbursement-batches", headers=checker)
    )
    ours = None
    for batch in listed.json()["items"]:
        one = await http.get(f"/api/v1/disbursement-batches/{batch['id']}", headers=checker)
        lines = {line["application_id"]: line for line in one.json()["lines"] or []}
        if set(app_ids) <= lines.keys():
            ours = p.keep("GET /api/v1/disbursement-batches/{id} (built)", one).json()
            break
    assert ours is not None, "the sentinel awards are in no batch"
    url = f"/api/v1/disbursement-batches/{ours['id']}"
    p.keep(
        "approve batch", await http.post(f"{url}/approve", json={"version": ours["version"]}, headers=checker)
    )
    assert (await http.get(f"{url}/bank-file", headers=checker)).status_code == 200  # the bank's copy: clear
    lines = {line["application_id"]: line for line in ours["lines"]}
    failed, paid = lines[app_ids[0]], lines[app_ids[1]]
    s = p.by_path["api"]
    reason = (
        f"户名不符：{s.name}，账号 {' '.join(s.account[i : i + 4] for i in range(0, 19, 4))}，"
        f"证件{s.number}，联系电话 {s.mobile[:3]}-{s.mobile[3:7]}-{s.mobile[7:]}"
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["业务参考号", "处理状态", "失败原因", "金额"])
    writer.writerow([failed["reference"], "退票", reason, f"{failed['amount_fen'] / 100:.2f}"])
    writer.writerow([paid["reference"], "成功", "", f"{paid['amount_fen'] / 100:.2f}"])
    writer.writerow(["KP-UNKNOWN-1", f"退票{s.account}", "", f"{s.mobile}"])  # cells echoed in errors
    files = {"file": ("return.csv", out.getvalue().encode("utf-8-sig"), "text/csv")}
    p.keep("POST bank-return", await http.post(f"{url}/bank-return", files=files, headers=checker))
    return ours["id"], failed["reference"]


async def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    await engine.start(settings, min_size=1, max_size=4)
    from renshe.subsidies.applications.store import today
    from renshe.web.app import create_app

    seed = int(os.environ["SENTINEL_SEED"])
    planted = sentinels(seed)
    app = create_app()
    p = Probe(app, planted)
    tenant = await unit_id(AREA)
    assert settings.database_url  # the test session's database (the conftest set it)
    await budget_room(settings.database_url, AREA, STARTUP, today().year, 10 * STARTUP_FEN)
    clerk_api = await api_headers(AREA, Role.CLERK)
    reviewer_api = await api_headers(AREA, Role.REVIEWER)
    _maker, maker_id = await token_of(AREA, Role.FINANCE)
    checker_api, _checker_id = await token_of(AREA, Role.FINANCE)
    async with (
        client(app) as http,
        new_client(app) as clerk,
        new_client(app, "192.0.2.11") as reviewer,
        new_client(app, "192.0.2.12") as finance,
    ):
        await signed_in(clerk, AREA, Role.CLERK)
        await signed_in(reviewer, AREA, Role.REVIEWER)
        await signed_in(finance, AREA, Role.FINANCE)
        by_api = await api_paths(p, http, clerk_api, reviewer_api)
        by_page = await page_paths(p, clerk, reviewer)
        import_ids = await import_paths(p, clerk, tenant)
        await edit_paths(p, http, clerk_api, clerk)
        app_ids = [by_api["application"]["id"], by_page["application_id"]]
        page_app = await http.get(f"/api/v1/applications/{app_ids[1]}", headers=clerk_api)
        # 公示: the public (no login) sees the awards in notice, masked — from the first day of
        # the notice (the next working day), so the page is read on that day
        starts = date.fromisoformat(by_api["application"]["notice_starts_on"])
        clock.set_now(lambda: datetime.combine(starts, time(12), clock.SHANGHAI))
        try:
            notice = p.keep("page /public/{code}/notices", await http.get(f"/public/{AREA}/notices"))
        finally:
            clock.set_now(None)
        assert p.by_path["api"].name[0] + "*" in notice.text  # the sentinel's award is listed
        ends = max(date.fromisoformat(by_api["application"]["notice_ends_on"]),
                   date.fromisoformat(page_app.json()["notice_ends_on"]))  # fmt: skip
        batch_id, _reference = await money_path(p, http, maker_id, checker_api, tenant, app_ids, ends)
        ids = {
            "people": [by_api["person"]["id"], by_page["person_id"]],
            "enterprises": [by_api["enterprise"]["id"], by_page["enterprise_id"]],
            "applications": app_ids,
            "imports": import_ids,
        }
        await read_api(p, http, clerk_api, ids)
        await read_finance(p, http, checker_api, finance, batch_id)
        await read_pages_and_exports(p, clerk, reviewer, ids)
        # the unmasked views: the values in that answer only, audited without them (not scanned)
        unmask = await http.post(
            f"/api/v1/people/{ids['people'][0]}/unmask",
            json={"field": "documents", "reason": "核对证件"},
            headers=clerk_api,
        )
        assert unmask.status_code == 200 and p.by_path["api"].number in unmask.text
        full = await post_from(
            clerk, "/registry/people", "/registry/people/export", {"format": "csv", "reason": "发放核对"}
        )
        assert full.status_code == 200 and p.by_path["page"].number in full.text
        async with new_client(app, "192.0.2.13") as auditor:  # the audit log, as its auditor reads it
            await signed_in(auditor, "440700", Role.AUDITOR)
            trail = p.keep("export /audit/export.csv", await auditor.get("/audit/export.csv"))
            assert "person.unmasked" in trail.text and AREA in trail.text  # this run's records are in it
    await engine.close()
    print(
        json.dumps(
            {"seed": seed, "sentinels": [s.as_json for s in planted], "read": p.read}, ensure_ascii=False
        )
    )


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except AssertionError as failure:
        print(f"probe failed: {failure!r}", file=sys.stderr)
        raise
