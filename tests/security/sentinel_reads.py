"""What the sentinel probe reads back — every masked export, API answer and masked page — kept
as text (an XLSX as its cells) for ``test_sentinels`` to scan."""

from __future__ import annotations

import io
from typing import Any

import httpx

from tests.security.sentinels import Sentinel


class Probe:
    def __init__(self, app: Any, planted: list[Sentinel]) -> None:
        self.app = app
        self.by_path = {s.path: s for s in planted}
        self.read: list[tuple[str, str]] = []  # what a user gets back, to be scanned

    def keep(self, where: str, answer: httpx.Response) -> httpx.Response:
        assert answer.status_code < 400, (where, answer.status_code, answer.text[:500])
        kind = answer.headers.get("content-type", "")
        if "spreadsheetml" in kind:
            self.read.append((where, xlsx_text(answer.content)))
        else:
            self.read.append((where, answer.content.decode("utf-8-sig")))
        return answer


def xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    cells = [
        "\t".join("" if v is None else str(v) for v in row)
        for sheet in book
        for row in sheet.iter_rows(values_only=True)
    ]
    return "\n".join(cells)


async def read_api(p: Probe, http: httpx.AsyncClient, headers: dict[str, str], ids: dict[str, Any]) -> None:
    for path in ("api", "api_edit", "page", "page_edit", "import_csv", "import_xlsx"):
        s = p.by_path[path]
        found = await http.post(
            "/api/v1/people/lookup", json={"type": "prc_id", "number": s.number}, headers=headers
        )
        person = p.keep(f"POST /api/v1/people/lookup ({path})", found).json()
        for tail in ("", "/links"):
            where = f"GET /api/v1/people/{{id}}{tail} ({path})"
            p.keep(where, await http.get(f"/api/v1/people/{person['id']}{tail}", headers=headers))
    for enterprise_id in ids["enterprises"]:
        for tail in ("", "/links"):
            where = f"GET /api/v1/enterprises/{{id}}{tail}"
            p.keep(where, await http.get(f"/api/v1/enterprises/{enterprise_id}{tail}", headers=headers))
    for url in ("/api/v1/people?limit=100", "/api/v1/enterprises?limit=100", "/api/v1/applications?limit=100",
                "/api/v1/jobs?limit=100", "/api/v1/me"):  # fmt: skip
        p.keep(f"GET {url}", await http.get(url, headers=headers))
    for app_id in ids["applications"]:
        for tail in ("", "/objections"):
            where = f"GET /api/v1/applications/{{id}}{tail}"
            p.keep(where, await http.get(f"/api/v1/applications/{app_id}{tail}", headers=headers))


async def read_finance(p: Probe, http: httpx.AsyncClient, headers: dict[str, str], browser: httpx.AsyncClient,
                       batch_id: str) -> None:  # fmt: skip
    p.keep(
        "GET /api/v1/disbursement-batches", await http.get("/api/v1/disbursement-batches", headers=headers)
    )
    url = f"/api/v1/disbursement-batches/{batch_id}"
    p.keep("GET /api/v1/disbursement-batches/{id}", await http.get(url, headers=headers))
    jobs = await http.get("/api/v1/jobs?limit=100", headers=headers)
    for job in p.keep("GET /api/v1/jobs (finance)", jobs).json()["items"]:
        p.keep("GET /api/v1/jobs/{id}", await http.get(f"/api/v1/jobs/{job['id']}", headers=headers))
    batch = f"/disbursement/batches/{batch_id}"
    for page in (batch, f"{batch}/returns", "/disbursement/batches"):
        p.keep(f"page {page}", await browser.get(page))
    for file_format in ("csv", "xlsx"):
        for export in (f"{batch}/lines/export", "/disbursement/batches/export"):
            p.keep(
                f"export {export} ({file_format})", await browser.get(export, params={"format": file_format})
            )


async def read_pages_and_exports(p: Probe, clerk: httpx.AsyncClient, reviewer: httpx.AsyncClient,
                                 ids: dict[str, Any]) -> None:  # fmt: skip
    for file_format in ("csv", "xlsx"):
        for export in (
            "/registry/people/export",
            "/registry/enterprises/export",
            "/subsidies/applications/export",
            "/dashboard/export",
        ):
            p.keep(
                f"export {export} ({file_format})", await clerk.get(export, params={"format": file_format})
            )
        p.keep(f"export /subsidies/review/export ({file_format})",
               await reviewer.get("/subsidies/review/export", params={"format": file_format}))  # fmt: skip
    pages = ["/registry/people", "/registry/enterprises", "/subsidies/applications", "/registry/imports"]
    pages += [f"/registry/people/{i}{tail}" for i in ids["people"] for tail in ("", "/edit")]
    pages += [f"/registry/enterprises/{i}{tail}" for i in ids["enterprises"] for tail in ("", "/edit")]
    pages += [f"/subsidies/applications/{i}" for i in ids["applications"]]
    pages += [f"/registry/imports/{i}" for i in ids["imports"]]
    for page in pages:
        p.keep(f"page {page}", await clerk.get(page))
